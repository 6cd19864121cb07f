//! Admin Area → Credentials: every user's tokens (the credentials
//! inventory), filtered, revoked in bulk after a confirmation, and a form
//! to find (and revoke) the token behind a secret someone holds.

use super::{
    admin_mode_entered, confirm_buttons, failed, page_param, pager, AdminLayout, ConfirmDialog,
    LOADING,
};
use crate::app::components::form::{Feedback, Field, FormMessages};
use crate::app::components::layout::Card;
use crate::app::components::table::DataTable;
use crate::app::components::tokens::TokenStatus;
use crate::app::fns::admin::{
    load_credentials, CredentialView, CredentialsFilter, CredentialsPage, FindCredential,
    RevokeCredentials, CREDENTIALS_FLASH, LOOKUP_FLASH,
};
use crate::app::fns::take_flash;
use crate::domain::instant;
use crate::domain::scope::Scope;
use crate::domain::token::StateFilter;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_navigate, use_query_map};

const INPUT: &str = "block w-full rounded-md border border-gray-300 px-3 py-2 shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
const BUTTON: &str = "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
const DANGER: &str = "rounded-md border border-red-300 px-3 py-2 text-sm font-medium text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500";

/// The filter's fields, as the form names them.
const FIELDS: [&str; 5] = ["owner", "scope", "state", "expiring_within", "unused_for"];

#[component]
pub fn Credentials() -> impl IntoView {
    let query = use_query_map();
    let page_no = page_param();
    let filter = move || query.with(|q| FIELDS.map(|f| q.get(f).unwrap_or_default()));
    let revoke = ServerAction::<RevokeCredentials>::new();
    let find = ServerAction::<FindCredential>::new();
    let (changes, set_changes) = signal(0u32);
    let page = Resource::new(
        move || (filter(), page_no(), changes.get(), admin_mode_entered()),
        |([owner, scope, state, expiring_within, unused_for], page, _, _)| {
            let filter = CredentialsFilter {
                owner,
                scope,
                state,
                expiring_within,
                unused_for,
            };
            load_credentials(page, filter)
        },
    );
    Effect::new(move || {
        let found = matches!(find.value().get(), Some(Ok(_)));
        let revoked = matches!(revoke.value().get(), Some(Ok(_)));
        if found || revoked {
            set_changes.update(|n| *n += 1);
        }
        if revoked {
            // Leave the confirmation step, keeping the filter (as the
            // server read it).
            let query = untrack(|| page.get().and_then(Result::ok).map(|p| p.query));
            use_navigate()(
                &list_href(&query.unwrap_or_default(), 1),
                Default::default(),
            );
        }
    });
    let revoke_flash = Resource::new(|| (), |_| take_flash(CREDENTIALS_FLASH.to_owned()));
    let find_flash = Resource::new(|| (), |_| take_flash(LOOKUP_FLASH.to_owned()));
    view! {
        <Title text="Credentials · Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                let revoke_feedback = Feedback::new(revoke, revoke_flash.await.ok().flatten());
                let find_feedback = Feedback::new(find, find_flash.await.ok().flatten());
                match page.await {
                    Err(e) => failed(e),
                    Ok(page) => {
                        let confirming = query.with_untracked(|q| q.get("confirm"))
                            == Some("revoke".to_owned());
                        let dialog = (confirming && page.active_matching > 0)
                            .then(|| view! { <RevokeMatching page=page.clone() action=revoke /> });
                        view! {
                            <AdminLayout title="Credentials">
                                <p class="text-sm text-gray-700">
                                    "Every token of every user, personal and impersonation: narrow the list, revoke what matches, or find the token behind a secret someone found."
                                </p>
                                <Lookup action=find feedback=find_feedback />
                                <Filters filter=page.filter.clone() />
                                <FormMessages feedback=revoke_feedback />
                                <Listing page=page.clone() />
                                {dialog}
                            </AdminLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn list_href(query: &str, page: i64) -> String {
    match (query.is_empty(), page) {
        (true, 1) => paths::ADMIN_CREDENTIALS.to_owned(),
        (true, p) => format!("{}?page={p}", paths::ADMIN_CREDENTIALS),
        (false, 1) => format!("{}?{query}", paths::ADMIN_CREDENTIALS),
        (false, p) => format!("{}?{query}&page={p}", paths::ADMIN_CREDENTIALS),
    }
}

/// Find (and revoke) the token behind a secret. A `POST`: a secret never
/// goes in an address.
#[component]
fn Lookup(action: ServerAction<FindCredential>, feedback: Feedback) -> impl IntoView {
    view! {
        <Card name="lookup" title="Find a token by its secret">
            <FormMessages feedback />
            <ActionForm action attr:class="space-y-3">
                <Field
                    label="Secret"
                    name="token"
                    form_id="lookup"
                    kind="password"
                    error=feedback.field("token")
                    clear_when=Signal::derive(move || action.value().get().is_some())
                    hint="Shows whose token it is, its state and scopes. The secret is not kept."
                />
                <div class="flex flex-wrap gap-3">
                    <button type="submit" class=BUTTON disabled=move || action.pending().get()>
                        "Find"
                    </button>
                    <button
                        type="submit"
                        name="revoke"
                        value="true"
                        class=DANGER
                        disabled=move || action.pending().get()
                    >
                        "Find and revoke"
                    </button>
                </div>
            </ActionForm>
        </Card>
    }
}

/// The filter form (a `GET`: the address keeps it).
#[component]
fn Filters(filter: CredentialsFilter) -> impl IntoView {
    let label = "block text-sm font-medium text-gray-700";
    view! {
        <Form
            method="GET"
            action=paths::ADMIN_CREDENTIALS
            attr:class="grid gap-3 sm:grid-cols-3 lg:grid-cols-6 sm:items-end"
            attr:role="search"
        >
            <div>
                <label for="credentials-owner" class=label>
                    "Owner"
                </label>
                <input
                    id="credentials-owner"
                    type="search"
                    name="owner"
                    value=filter.owner
                    placeholder="username"
                    class=INPUT
                />
            </div>
            <div>
                <label for="credentials-scope" class=label>
                    "Scope"
                </label>
                <select id="credentials-scope" name="scope" class=INPUT>
                    <option value="" selected=filter.scope.is_empty()>
                        "Any scope"
                    </option>
                    {Scope::ALL
                        .iter()
                        .map(|s| {
                            let name = s.to_string();
                            let selected = name == filter.scope;
                            view! {
                                <option value=name.clone() selected=selected>
                                    {name.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div>
                <label for="credentials-state" class=label>
                    "State"
                </label>
                <select id="credentials-state" name="state" class=INPUT>
                    {StateFilter::ALL
                        .iter()
                        .map(|s| {
                            let selected = s.as_str() == filter.state
                                || (filter.state.is_empty() && *s == StateFilter::All);
                            view! {
                                <option value=s.as_str() selected=selected>
                                    {s.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div>
                <label for="credentials-expiring" class=label>
                    "Expiring within (days)"
                </label>
                <input
                    id="credentials-expiring"
                    type="number"
                    min="1"
                    max="3650"
                    name="expiring_within"
                    value=filter.expiring_within
                    class=INPUT
                />
            </div>
            <div>
                <label for="credentials-unused" class=label>
                    "Unused for (days)"
                </label>
                <input
                    id="credentials-unused"
                    type="number"
                    min="1"
                    max="3650"
                    name="unused_for"
                    value=filter.unused_for
                    class=INPUT
                />
            </div>
            <button type="submit" class=BUTTON>
                "Filter"
            </button>
        </Form>
    }
}

/// The matching tokens, how many are active, and the way to revoke them.
#[component]
fn Listing(page: CredentialsPage) -> impl IntoView {
    let now = page.now;
    let query = page.query.clone();
    let revoke_href = match query.as_str() {
        "" => format!("{}?confirm=revoke", paths::ADMIN_CREDENTIALS),
        q => format!("{}?{q}&confirm=revoke", paths::ADMIN_CREDENTIALS),
    };
    let active = page.active_matching;
    let tokens = page.tokens;
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <p class="text-sm text-gray-700" data-testid="credentials-count">
                {format!("{} tokens match, {active} of them active.", tokens.total)}
            </p>
            {(active > 0)
                .then(|| {
                    view! {
                        <A href=revoke_href attr:class=DANGER attr:data-testid="revoke-matching">
                            {format!("Revoke {active} active tokens…")}
                        </A>
                    }
                })}
        </div>
        {if tokens.items.is_empty() {
            view! { <p class="text-sm text-gray-600">"No tokens match."</p> }.into_any()
        } else {
            let rows = tokens
                .items
                .iter()
                .cloned()
                .map(|c| view! { <Row credential=c now /> })
                .collect_view();
            view! {
                <DataTable columns=&[
                    "Owner",
                    "Token",
                    "Scopes",
                    "Created",
                    "Last used",
                    "Expires",
                    "State",
                ]>{rows}</DataTable>
            }
                .into_any()
        }}
        {pager(&tokens, move |p| list_href(&query, p))}
    }
}

#[component]
fn Row(credential: CredentialView, now: i64) -> impl IntoView {
    let t = credential.token;
    let date = |at: Option<i64>, none: &'static str| {
        at.map_or_else(
            || none.into_any(),
            |at| {
                view! { <time datetime=instant::machine(at)>{instant::date(at)}</time> }.into_any()
            },
        )
    };
    let scopes: Vec<String> = t.scopes.iter().map(ToString::to_string).collect();
    let state = t.state(now);
    view! {
        <tr role="row" data-testid="credential">
            <td role="cell" data-label="Owner" class="px-3 py-2">
                <A href=paths::admin_user(&credential.owner)>{credential.owner.clone()}</A>
            </td>
            <td role="cell" data-label="Token" class="px-3 py-2">
                {t.name.clone()}
                {credential
                    .impersonation
                    .then(|| {
                        view! { <span class="ml-2 text-xs text-amber-800">"impersonation"</span> }
                    })}
            </td>
            <td role="cell" data-label="Scopes" class="px-3 py-2">
                {scopes.join(", ")}
            </td>
            <td role="cell" data-label="Created" class="px-3 py-2 whitespace-nowrap">
                {date(Some(t.created_at), "")}
            </td>
            <td role="cell" data-label="Last used" class="px-3 py-2 whitespace-nowrap">
                {date(t.last_used_at, "Never")}
            </td>
            <td role="cell" data-label="Expires" class="px-3 py-2 whitespace-nowrap">
                {date(t.expires_at, "Never")}
            </td>
            <td role="cell" data-label="State" class="px-3 py-2">
                <TokenStatus state expiry_enforced=true />
            </td>
        </tr>
    }
}

/// "Revoke N active tokens?", with the filter and the count confirmed.
#[component]
fn RevokeMatching(page: CredentialsPage, action: ServerAction<RevokeCredentials>) -> impl IntoView {
    let n = page.active_matching;
    let f = page.filter;
    let cancel = list_href(&page.query, 1);
    let text = format!(
        "Every active token that matches the filter stops working at once: {n} tokens. Each owner \
         gets a mail, and each revocation is on the record."
    );
    view! {
        <ConfirmDialog title=format!("Revoke {n} tokens?") text name="revoke-matching">
            <ActionForm action>
                <input type="hidden" name="confirmed" value=n.to_string() />
                <input type="hidden" name="filter[owner]" value=f.owner />
                <input type="hidden" name="filter[scope]" value=f.scope />
                <input type="hidden" name="filter[state]" value=f.state />
                <input type="hidden" name="filter[expiring_within]" value=f.expiring_within />
                <input type="hidden" name="filter[unused_for]" value=f.unused_for />
                {confirm_buttons(cancel, "Revoke tokens", true, action.pending().into())}
            </ActionForm>
        </ConfirmDialog>
    }
}
