//! Admin Area → Users → one user: their account, tokens and impersonation
//! tokens, and what administrators may do to them.

use super::{
    admin_mode_entered, confirm_buttons, failed, page_param, pager, yes_no, AdminLayout,
    ConfirmDialog, EventLine, LOADING,
};
use crate::app::components::form::{Feedback, FieldError, FormMessages, SubmitButton};
use crate::app::components::layout::Card;
use crate::app::components::table::DataTable;
use crate::app::components::tokens::{NewTokenFields, OneTimeSecret, TokenStatus};
use crate::app::fns::admin::{
    load_admin_user, AdminUser, ChangeAdminToken, ChangeAdminUser, CreateImpersonationToken,
    SendResetLink, TokenChange, UserPage,
};
use crate::app::fns::tokens::TokenView;
use crate::app::fns::{take_flash, TypedToken};
use crate::domain::admin::UserChange;
use crate::domain::ids::TokenId;
use crate::domain::instant;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

const BUTTON: &str = "rounded-md border border-gray-300 px-3 py-1.5 text-sm font-medium hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
const DANGER: &str = "rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500";

#[component]
pub fn AdminUser() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let username = move || params.with(|p| p.get("username").unwrap_or_default());
    let page_no = page_param();
    let change_user = ServerAction::<ChangeAdminUser>::new();
    let change_token = ServerAction::<ChangeAdminToken>::new();
    let create = ServerAction::<CreateImpersonationToken>::new();
    let send_link = ServerAction::<SendResetLink>::new();
    // Reload after what succeeded, and leave the confirmation step.
    let (changes, set_changes) = signal(0u32);
    Effect::new(move || {
        let done = matches!(change_user.value().get(), Some(Ok(_)))
            || matches!(change_token.value().get(), Some(Ok(_)));
        if done {
            set_changes.update(|n| *n += 1);
            // Read without tracking: opening the next confirmation changes
            // the query, and must not run this again.
            let back = untrack(|| format!("{}?page={}", paths::admin_user(&username()), page_no()));
            use_navigate()(&back, Default::default());
        }
    });
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if matches!(create.value().get(), Some(Ok(_))) {
            set_changes.update(|n| *n += 1);
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    let page = Resource::new(
        move || (username(), page_no(), changes.get(), admin_mode_entered()),
        |(name, page, _, _)| load_admin_user(name, page),
    );
    let user_flash = Resource::new(|| (), |_| take_flash("change_admin_user".to_owned()));
    let token_flash = Resource::new(|| (), |_| take_flash("change_admin_token".to_owned()));
    let create_flash = Resource::new(
        || (),
        |_| take_flash("create_impersonation_token".to_owned()),
    );

    view! {
        <Title text=move || format!("{} · Users · Admin Area", username()) />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                let user_feedback = Feedback::new(change_user, user_flash.await.ok().flatten());
                let token_feedback = Feedback::new(change_token, token_flash.await.ok().flatten());
                let create_flash = create_flash.await.ok().flatten();
                match page.await {
                    Err(e) => failed(e),
                    Ok(page) => {
                        let create_feedback = Feedback::new(create, create_flash.clone());
                        let typed = TypedToken::from_flash(create_flash.as_ref());
                        let revealed = page.revealed.clone();
                        let dialog_page = page.clone();
                        let dialog = move || {
                            query
                                .with(|q| {
                                    dialog_for(
                                        &dialog_page,
                                        q.get("confirm"),
                                        q.get("revoke"),
                                        q.get("unrevoke"),
                                        change_user,
                                        change_token,
                                    )
                                })
                        };
                        let u = page.user.clone();
                        let here = format!(
                            "{}?page={}",
                            paths::admin_user(&u.username),
                            page.tokens.page,
                        );
                        let confirm_label = format!(
                            "I understand that this token acts as {} until it expires or is revoked.",
                            u.username,
                        );
                        let users_path = paths::admin_user(&u.username);
                        // This page of this user: where links and dialogs return.
                        view! {
                            <AdminLayout title=u.username.clone()>
                                <FormMessages feedback=user_feedback />
                                <FormMessages feedback=token_feedback />
                                <FormMessages feedback=Feedback::new(send_link, None) />
                                <Account user=u.clone() send_link />
                                <TokenTable
                                    heading="Personal access tokens"
                                    empty="No personal access tokens."
                                    tokens=page.tokens.items.clone()
                                    now=page.now
                                    enforced=page.expiry_enforced
                                    base=here.clone()
                                />
                                {pager(&page.tokens, move |p| format!("{users_path}?page={p}"))}
                                <Card name="impersonation" title="Impersonation tokens">
                                    <p class="text-sm text-gray-700">
                                        "An impersonation token acts as " {u.username.clone()}
                                        " for the API and Git. It is not shown on their own Access Tokens page; the audit log records that you made it."
                                    </p>
                                    {move || match create.value().get() {
                                        Some(Ok(created)) => {
                                            Some(
                                                view! {
                                                    <OneTimeSecret
                                                        created=created.0
                                                        kind="impersonation token"
                                                    />
                                                },
                                            )
                                        }
                                        _ => {
                                            revealed
                                                .clone()
                                                .map(|created| {
                                                    view! {
                                                        <OneTimeSecret created kind="impersonation token" />
                                                    }
                                                })
                                        }
                                    }}
                                    <FormMessages feedback=create_feedback />
                                    <ActionForm
                                        action=create
                                        node_ref=form
                                        attr:class="max-w-2xl space-y-5"
                                    >
                                        <input
                                            type="hidden"
                                            name="user_id"
                                            value=u.id.to_string()
                                        />
                                        <NewTokenFields
                                            feedback=create_feedback
                                            typed=typed.clone()
                                            bounds=page.expiry.clone()
                                            offered=page.offered
                                        />
                                        <div class="flex items-start gap-3 rounded-md border border-amber-300 bg-amber-50 p-4">
                                            <input
                                                id="impersonation-confirm"
                                                type="checkbox"
                                                name="confirm"
                                                value="yes"
                                                required=true
                                                aria-describedby=move || {
                                                    create_feedback
                                                        .field("confirm")
                                                        .with(Option::is_some)
                                                        .then_some("impersonation-confirm-error")
                                                }
                                                class="mt-1 h-4 w-4 shrink-0 rounded border-gray-300 text-indigo-600 focus:ring-2 focus:ring-indigo-500"
                                            />
                                            <div>
                                                <label
                                                    for="impersonation-confirm"
                                                    class="text-sm text-amber-900"
                                                >
                                                    {confirm_label}
                                                </label>
                                                <FieldError
                                                    id="impersonation-confirm-error".to_owned()
                                                    error=create_feedback.field("confirm")
                                                />
                                            </div>
                                        </div>
                                        <SubmitButton
                                            label="Create impersonation token"
                                            pending=create.pending()
                                        />
                                    </ActionForm>
                                    <TokenTable
                                        heading="Impersonation tokens of this user"
                                        empty="No impersonation tokens."
                                        tokens=page.impersonation.clone()
                                        now=page.now
                                        enforced=page.expiry_enforced
                                        base=here.clone()
                                    />
                                </Card>
                                <section aria-labelledby="events-heading" class="space-y-2">
                                    <h2 id="events-heading" class="text-lg font-semibold">
                                        "Recent administrative actions"
                                    </h2>
                                    {if page.events.is_empty() {
                                        view! { <p class="text-sm text-gray-600">"None."</p> }
                                            .into_any()
                                    } else {
                                        view! {
                                            <ul class="divide-y divide-gray-200 rounded-lg border border-gray-200 bg-white text-sm">
                                                {page
                                                    .events
                                                    .iter()
                                                    .cloned()
                                                    .map(|e| {
                                                        view! {
                                                            <EventLine
                                                                about=e.token.clone().map(|t| format!(" “{t}”"))
                                                                event=e
                                                                testid="user-event"
                                                            />
                                                        }
                                                    })
                                                    .collect_view()}
                                            </ul>
                                        }
                                            .into_any()
                                    }}
                                </section>
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

/// The account's facts and the actions on it.
#[component]
fn Account(user: AdminUser, send_link: ServerAction<SendResetLink>) -> impl IntoView {
    let base = paths::admin_user(&user.username);
    let link = move |change: UserChange| format!("{base}?confirm={}", change.as_str());
    view! {
        <Card name="account" title="Account">
            <dl class="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
                <div>
                    <dt class="text-gray-600">"Email"</dt>
                    <dd>{user.email.clone()}</dd>
                </div>
                <div>
                    <dt class="text-gray-600">"Administrator"</dt>
                    <dd data-testid="is-admin">{yes_no(user.is_admin)}</dd>
                </div>
                <div>
                    <dt class="text-gray-600">"Two-factor authentication"</dt>
                    <dd>{if user.two_factor_enabled { "Enabled" } else { "Disabled" }}</dd>
                </div>
                <div>
                    <dt class="text-gray-600">"State"</dt>
                    <dd data-testid="user-state">
                        {if user.blocked { "Blocked" } else { "Active" }}
                    </dd>
                </div>
                <div>
                    <dt class="text-gray-600">"Created"</dt>
                    <dd>{instant::date(user.created_at)}</dd>
                </div>
                <div>
                    <dt class="text-gray-600">"Last sign-in"</dt>
                    <dd>
                        {user.last_sign_in_at.map_or_else(|| "Never".to_owned(), instant::date)}
                    </dd>
                </div>
            </dl>
            <div class="flex flex-wrap gap-3">
                {if user.blocked {
                    view! {
                        <A href=link(UserChange::Unblock) attr:class=BUTTON>
                            "Unblock"
                        </A>
                    }
                        .into_any()
                } else {
                    view! {
                        <A href=link(UserChange::Block) attr:class=DANGER>
                            "Block"
                        </A>
                    }
                        .into_any()
                }}
                {(!user.blocked)
                    .then(|| {
                        view! {
                            <ActionForm action=send_link>
                                <input type="hidden" name="user_id" value=user.id.to_string() />
                                <button
                                    type="submit"
                                    class=BUTTON
                                    disabled=move || send_link.pending().get()
                                >
                                    "Send reset link"
                                </button>
                            </ActionForm>
                        }
                    })}
                {if user.is_admin {
                    view! {
                        <A href=link(UserChange::RemoveAdmin) attr:class=BUTTON>
                            "Remove administrator"
                        </A>
                    }
                        .into_any()
                } else {
                    view! {
                        <A href=link(UserChange::MakeAdmin) attr:class=BUTTON>
                            "Make administrator"
                        </A>
                    }
                        .into_any()
                }}
            </div>
        </Card>
    }
}

#[component]
fn TokenTable(
    heading: &'static str,
    empty: &'static str,
    tokens: Vec<TokenView>,
    now: i64,
    enforced: bool,
    /// This page's address (with its page number): links add to it.
    base: String,
) -> impl IntoView {
    if tokens.is_empty() {
        return view! {
            <section class="space-y-2">
                <h2 class="text-lg font-semibold">{heading}</h2>
                <p class="text-sm text-gray-600">{empty}</p>
            </section>
        }
        .into_any();
    }
    let rows = tokens
        .into_iter()
        .map(|t| {
            let (href, label, class) = if t.state(now).is_revoked() {
                (format!("{base}&unrevoke={}", t.id), "Unrevoke", BUTTON)
            } else {
                (format!("{base}&revoke={}", t.id), "Revoke", DANGER)
            };
            let aria = format!("{label} {}", t.name);
            view! {
                <tr role="row" data-testid="admin-token">
                    <td role="cell" data-label="Name" class="px-3 py-2 font-medium">
                        {t.name.clone()}
                    </td>
                    <td role="cell" data-label="Scopes" class="px-3 py-2 font-mono text-xs">
                        {t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}
                    </td>
                    <td role="cell" data-label="Created" class="px-3 py-2">
                        {instant::date(t.created_at)}
                    </td>
                    <td role="cell" data-label="Last used" class="px-3 py-2">
                        {t
                            .last_used_at
                            .map_or_else(|| "Never".to_owned(), |u| instant::relative(now, u))}
                    </td>
                    <td role="cell" data-label="Expires" class="px-3 py-2">
                        {t.expires_at.map_or_else(|| "Never".to_owned(), instant::date)}
                    </td>
                    <td role="cell" data-label="State" class="px-3 py-2" data-testid="token-state">
                        <TokenStatus state=t.state(now) expiry_enforced=enforced />
                    </td>
                    <td role="cell" class="px-3 py-2 text-right">
                        <A href=href attr:aria-label=aria attr:class=class>
                            {label}
                        </A>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">{heading}</h2>
            <DataTable columns=&[
                "Name",
                "Scopes",
                "Created",
                "Last used",
                "Expires",
                "State",
                "",
            ]>{rows}</DataTable>
        </section>
    }
    .into_any()
}

/// The confirmation step the query asks for, if it names something on
/// this page.
fn dialog_for(
    page: &UserPage,
    confirm: Option<String>,
    revoke: Option<String>,
    unrevoke: Option<String>,
    change_user: ServerAction<ChangeAdminUser>,
    change_token: ServerAction<ChangeAdminToken>,
) -> Option<AnyView> {
    let u = &page.user;
    let cancel = format!(
        "{}?page={}",
        paths::admin_user(&u.username),
        page.tokens.page
    );
    if let Some(change) = confirm.as_deref().and_then(UserChange::parse) {
        let (title, text, label, danger) = match change {
            UserChange::Block => (
                format!("Block {}?", u.username),
                "They are signed out everywhere, cannot sign in, and every token of theirs stops working until you unblock them.",
                "Block",
                true,
            ),
            UserChange::Unblock => (
                format!("Unblock {}?", u.username),
                "They can sign in again and their unexpired, unrevoked tokens work again.",
                "Unblock",
                false,
            ),
            UserChange::MakeAdmin => (
                format!("Make {} an administrator?", u.username),
                "They get the Admin Area and every administrator's power over users and tokens.",
                "Make administrator",
                false,
            ),
            UserChange::RemoveAdmin => (
                format!("Remove {}'s administrator rights?", u.username),
                "They keep their account and tokens, but lose the Admin Area.",
                "Remove administrator",
                true,
            ),
        };
        let user_id = u.id.to_string();
        return Some(
            view! {
                <ConfirmDialog title text>
                    <ActionForm action=change_user>
                        <input type="hidden" name="user_id" value=user_id />
                        <input type="hidden" name="change" value=change.as_str() />
                        {confirm_buttons(cancel, label, danger, change_user.pending().into())}
                    </ActionForm>
                </ConfirmDialog>
            }
            .into_any(),
        );
    }
    let (id, revoking) = match (revoke, unrevoke) {
        (Some(id), _) => (id, true),
        (None, Some(id)) => (id, false),
        _ => return None,
    };
    let id: TokenId = id.parse().ok()?;
    let token = page
        .tokens
        .items
        .iter()
        .chain(&page.impersonation)
        .find(|t| t.id == id)?;
    let (title, text, label) = if revoking {
        (
            format!("Revoke “{}”?", token.name),
            "Scripts and tools using it stop working at once. You can unrevoke it while revoked tokens are kept.",
            "Revoke",
        )
    } else {
        (
            format!("Unrevoke “{}”?", token.name),
            "It works again until it expires, with the same secret and scopes. Do this only if it was revoked by mistake.",
            "Unrevoke",
        )
    };
    let token_id = token.id.to_string();
    Some(
        view! {
            <ConfirmDialog title text>
                <ActionForm action=change_token>
                    <input type="hidden" name="token_id" value=token_id />
                    <input
                        type="hidden"
                        name="action"
                        value=if revoking { TokenChange::Revoke } else { TokenChange::Unrevoke }
                            .as_str()
                    />
                    {confirm_buttons(cancel, label, revoking, change_token.pending().into())}
                </ActionForm>
            </ConfirmDialog>
        }
        .into_any(),
    )
}
