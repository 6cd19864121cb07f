//! The pieces of the Access Tokens page.

use crate::app::components::copy::CopyButton;
use crate::app::components::dialog::{confirm_buttons, ConfirmDialog};
use crate::app::components::form::{Feedback, Field, FieldError, PostForm};
use crate::app::components::table::DataTable;
use crate::app::fns::tokens::{ExpiryBounds, NewTokenSecret, RevokeToken, TokenView};
use crate::app::fns::TypedToken;
use crate::domain::instant;
use crate::domain::scope::{Offered, Scope};
use crate::domain::token::{
    expires_soon, ListSort, StateFilter, TokenState, DESCRIPTION_MAX, NAME_MAX,
};
use crate::paths;
use leptos::prelude::*;
use leptos_router::components::A;

/// Scopes as checkboxes with what each grants: those a new token may have
/// (the admin-only ones for administrators, the registry's while a
/// registry is enabled), or those an edited token has.
#[component]
pub fn ScopeCheckboxes(
    choices: Vec<Scope>,
    selected: Vec<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let scopes = choices
        .into_iter()
        .enumerate()
        .map(|(i, scope)| {
            let id = format!("scope-{scope}");
            let checked = selected.iter().any(|s| s == scope.as_str());
            // As `Field` does: a refused plain post focuses the first box.
            let autofocus = i == 0 && error.get_untracked().is_some();
            view! {
                <div class="flex items-start gap-3">
                    <input
                        id=id.clone()
                        type="checkbox"
                        name="scopes[]"
                        value=scope.as_str()
                        checked=checked
                        autofocus=autofocus
                        aria-invalid=move || error.get().is_some().then_some("true")
                        aria-describedby=format!("{id}-description")
                        class="mt-1 h-4 w-4 shrink-0 rounded border-gray-300 text-indigo-600 focus:ring-2 focus:ring-indigo-500"
                    />
                    <div>
                        <label for=id.clone() class="font-mono text-sm font-medium text-gray-900">
                            {scope.as_str()}
                        </label>
                        <p id=format!("{id}-description") class="text-sm text-gray-600">
                            {scope.description()}
                        </p>
                    </div>
                </div>
            }
        })
        .collect_view();
    view! {
        // Described by the error only while there is one: a reference to
        // an element not on the page is broken.
        <fieldset
            class="space-y-3"
            aria-describedby=move || error.with(Option::is_some).then_some("scopes-error")
        >
            <legend class="text-sm font-medium text-gray-900">"Select scopes"</legend>
            <p class="text-xs text-gray-600">
                "Scopes set the permission levels granted to the token."
            </p>
            <FieldError id="scopes-error".to_owned() error />
            {scopes}
        </fieldset>
    }
}

/// A new token's expiration date: bounded by the administrators' limit and
/// suggested; left empty, the longest lifetime allowed (or none, where
/// administrators allow tokens without one).
#[component]
pub fn ExpiryField(
    bounds: ExpiryBounds,
    /// What a refused plain form post typed.
    typed: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let hint = format!(
        "The token stops working at 00:00 UTC on this date. {}",
        bounds.when_empty
    );
    view! {
        <Field
            label="Expiration date"
            name="expires_at"
            kind="date"
            value=typed.unwrap_or(bounds.suggested)
            min=bounds.earliest
            max=bounds.latest
            required=false
            error
            hint
        />
    }
}

/// A new token's name, expiry date and scopes, as both token forms (the
/// owner's and an administrator's impersonation token) ask for them, with
/// what a refused plain form post typed.
#[component]
pub fn NewTokenFields(
    feedback: Feedback,
    typed: TypedToken,
    bounds: ExpiryBounds,
    /// The scopes offered.
    offered: Offered,
    /// Asks for the addresses it may be used from (the owner's form).
    #[prop(optional)]
    addresses: bool,
) -> impl IntoView {
    let allowed_ips = addresses.then(|| {
        view! {
            <Field
                label="Limit to projects (optional)"
                name="projects"
                value=typed.projects.clone().unwrap_or_default()
                error=feedback.field("projects")
                required=false
                hint="Project paths separated by commas, such as alice/website: Git, the registry and the API find no other project with this token. Empty: every project."
            />
            <Field
                label="Allowed IP addresses (optional)"
                name="allowed_ips"
                value=typed.allowed_ips.clone().unwrap_or_default()
                error=feedback.field("allowed_ips")
                required=false
                hint="Addresses or CIDR ranges, IPv4 or IPv6, separated by commas: for example 203.0.113.7, 192.0.2.0/24. Requests from anywhere else are refused. Empty: anywhere."
            />
        }
    });
    view! {
        <Field
            label="Token name"
            name="name"
            value=typed.name.unwrap_or_default()
            error=feedback.field("name")
            maxlength=NAME_MAX as u32
            hint="For example, the application using the token or its purpose."
        />
        <Field
            label="Description (optional)"
            name="description"
            value=typed.description.unwrap_or_default()
            error=feedback.field("description")
            maxlength=DESCRIPTION_MAX as u32
            required=false
        />
        <ExpiryField bounds typed=typed.expires_at error=feedback.field("expires_at") />
        {allowed_ips}
        <ScopeCheckboxes
            choices=Scope::ALL.into_iter().filter(|s| offered.includes(*s)).collect()
            selected=typed.scopes
            error=feedback.field("scopes")
        />
    }
}

const SECRET_FIELD: &str = "new-token-secret";

/// A new token's secret, shown this once.
#[component]
pub fn OneTimeSecret(
    created: NewTokenSecret,
    /// What was made: a personal access token, or an administrator's
    /// impersonation token.
    #[prop(default = "personal access token")]
    kind: &'static str,
) -> impl IntoView {
    // Shown above the form that made it, often off-screen: focusing the
    // field brings it into view, selects it, and has it read out. (On
    // mount: the page may render it again once its list has reloaded.)
    Effect::new(|| crate::app::components::focus::focus_by_id(SECRET_FIELD));
    view! {
        <section
            role="status"
            aria-labelledby="new-token-heading"
            class="space-y-3 rounded-lg border border-green-300 bg-green-50 p-4"
        >
            <h2 id="new-token-heading" class="font-semibold text-green-900">
                {format!("Your new {kind} “{}”", created.token.name)}
            </h2>
            <div class="flex gap-2">
                <label for=SECRET_FIELD class="sr-only">
                    {format!("Your new {kind}")}
                </label>
                <input
                    // Without JavaScript, the page that shows it focuses it.
                    autofocus=true
                    id=SECRET_FIELD
                    data-testid="new-token-secret"
                    type="text"
                    readonly=true
                    value=created.secret.clone()
                    onfocus=crate::paths::SELECT_ON_FOCUS
                    autocomplete="off"
                    spellcheck="false"
                    class="block w-full rounded-md border border-green-400 bg-white px-3 py-2 font-mono text-sm text-gray-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                />
                <CopyButton text=created.secret.clone() label="Copy token" />
            </div>
            <p class="text-sm font-medium text-green-900">
                "Make sure you save it now: you won't be able to see it again."
            </p>
        </section>
    }
}

fn scope_list(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cells every token row starts with: its name (and description),
/// scopes and creation.
fn first_cells(t: &TokenView) -> impl IntoView {
    view! {
        <td role="cell" data-label="Token name" class="px-3 py-2">
            <span class="font-medium">{t.name.clone()}</span>
            {t
                .description
                .clone()
                .map(|d| {
                    view! {
                        <span data-testid="token-description" class="block text-xs text-gray-600">
                            {d}
                        </span>
                    }
                })}
        </td>
        <td role="cell" data-label="Scopes" class="px-3 py-2 font-mono text-xs">
            {scope_list(&t.scopes)}
            {(!t.projects.is_empty())
                .then(|| {
                    view! {
                        <span
                            data-testid="token-projects"
                            class="block font-sans text-gray-600 wrap-anywhere"
                        >
                            {format!("Only projects {}", t.projects.join(", "))}
                        </span>
                    }
                })}
            {(!t.allowed_ips.is_empty())
                .then(|| {
                    view! {
                        <span
                            data-testid="allowed-ips"
                            class="block font-sans text-gray-600 wrap-anywhere"
                        >
                            {format!("Only from {}", t.allowed_ips.join(", "))}
                        </span>
                    }
                })}
        </td>
        <td role="cell" data-label="Created" class="px-3 py-2">
            {when(t.created_at)}
        </td>
    }
}

fn when(unix: i64) -> impl IntoView {
    view! { <time datetime=instant::machine(unix)>{instant::date(unix)}</time> }
}

const FILTER_INPUT: &str = "block w-full rounded-md border border-gray-300 bg-white px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";

/// Search, state filter and order of the list: a plain GET form, so the
/// address keeps what is shown (a link or a reload shows the same).
#[component]
pub fn TokenFilters(
    search: String,
    state: StateFilter,
    sort: ListSort,
    /// How many match, and how many of them are listed.
    matching: i64,
    listed: usize,
) -> impl IntoView {
    let states = StateFilter::ALL
        .into_iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=s == state>
                    {s.label()}
                </option>
            }
        })
        .collect_view();
    let sorts = ListSort::ALL
        .into_iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=s == sort>
                    {s.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <form
            method="get"
            action=paths::TOKENS
            role="search"
            aria-label="Filter tokens"
            class="grid gap-3 sm:grid-cols-[1fr_auto_auto_auto] sm:items-end"
        >
            <div>
                <label for="token-search" class="block text-sm font-medium text-gray-700">
                    "Search by name"
                </label>
                <input
                    id="token-search"
                    type="search"
                    name="search"
                    value=search
                    class=FILTER_INPUT
                />
            </div>
            <div>
                <label for="token-state" class="block text-sm font-medium text-gray-700">
                    "Show"
                </label>
                <select id="token-state" name="state" class=FILTER_INPUT>
                    {states}
                </select>
            </div>
            <div>
                <label for="token-sort" class="block text-sm font-medium text-gray-700">
                    "Sort by"
                </label>
                <select id="token-sort" name="sort" class=FILTER_INPUT>
                    {sorts}
                </select>
            </div>
            <button type="submit" class=ACTION>
                "Apply"
            </button>
        </form>
        {(matching > listed as i64)
            .then(|| {
                view! {
                    <p class="text-sm text-gray-600">
                        {format!(
                            "Showing {listed} of {matching} tokens: search or filter to find the others.",
                        )}
                    </p>
                }
            })}
    }
}

/// A token row's Edit and Rotate links.
const ACTION: &str = "rounded-md border border-gray-300 px-3 py-1 text-sm font-medium text-gray-800 hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";

/// "Active personal access tokens (N)": expiry shown relative, highlighted
/// in its last week; each with a Revoke step.
#[component]
pub fn ActiveTokens(tokens: Vec<TokenView>, now: i64) -> impl IntoView {
    let count = tokens.len();
    let rows = tokens
        .into_iter()
        .map(|t| {
            let soon = expires_soon(now, t.expires_at);
            let revoke_href = format!("{}?revoke={}", paths::TOKENS, t.id);
            let (edit_label, rotate_label, label) = (
                format!("Edit {}", t.name),
                format!("Rotate {}", t.name),
                format!("Revoke {}", t.name),
            );
            let ips = (!t.last_used_ips.is_empty())
                .then(|| format!("from {}", t.last_used_ips.join(", ")));
            view! {
                <tr role="row" data-testid="active-token">
                    {first_cells(&t)}
                    <td role="cell" data-label="Last used" class="px-3 py-2">
                        {t
                            .last_used_at
                            .map(|u| instant::relative(now, u))
                            .unwrap_or_else(|| "Never".to_owned())}
                        {ips
                            .map(|ips| {
                                view! {
                                    <span
                                        data-testid="last-used-ips"
                                        class="block font-mono text-xs text-gray-600 wrap-anywhere"
                                    >
                                        {ips}
                                    </span>
                                }
                            })}
                    </td>
                    <td role="cell" data-label="Expires" class="px-3 py-2">
                        {match t.expires_at {
                            Some(at) => {
                                view! {
                                    <time datetime=instant::machine(at) title=instant::date(at)>
                                        {instant::relative(now, at)}
                                    </time>
                                }
                                    .into_any()
                            }
                            None => "Never".into_any(),
                        }}
                        {soon
                            .then(|| {
                                view! {
                                    " "
                                    <span
                                        data-testid="expires-soon"
                                        class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900"
                                    >
                                        "Expires soon"
                                    </span>
                                }
                            })}
                    </td>
                    <td role="cell" class="space-x-1 whitespace-nowrap px-3 py-2 text-right">
                        <A
                            href=paths::token_page(t.id.get(), "edit")
                            attr:aria-label=edit_label
                            attr:class=ACTION
                        >
                            "Edit"
                        </A>
                        <A
                            href=paths::token_page(t.id.get(), "rotate")
                            attr:aria-label=rotate_label
                            attr:class=ACTION
                        >
                            "Rotate"
                        </A>
                        <A
                            href=revoke_href
                            attr:aria-label=label
                            attr:class="rounded-md border border-red-300 px-3 py-1 text-sm font-medium text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500"
                        >
                            "Revoke"
                        </A>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="active-heading" class="space-y-2">
            <h2 id="active-heading" class="text-lg font-semibold">
                {format!("Active personal access tokens ({count})")}
            </h2>
            {if count == 0 {
                view! {
                    <p class="text-sm text-gray-600">
                        "This user has no active personal access tokens."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <DataTable columns=&[
                        "Token name",
                        "Scopes",
                        "Created",
                        "Last used",
                        "Expires",
                        "",
                    ]>{rows}</DataTable>
                }
                    .into_any()
            }}
        </section>
    }
}

/// A token's state in words with the date it refers to, honest about
/// expiry that administrators do not enforce.
#[component]
pub fn TokenStatus(
    state: TokenState,
    /// Whether expired tokens stop working.
    expiry_enforced: bool,
) -> impl IntoView {
    let (words, at) = match state {
        TokenState::Active => ("Active", None),
        TokenState::Revoked { at } => ("Revoked", Some(at)),
        TokenState::Expired { at } if expiry_enforced => ("Expired", Some(at)),
        TokenState::Expired { at } => ("Still works (expiry is not enforced); expired", Some(at)),
    };
    view! {
        {words}
        {at
            .map(|at| {
                view! {
                    " "
                    {when(at)}
                }
            })}
    }
}

/// Revoked and expired tokens, with when that happened.
#[component]
pub fn InactiveTokens(
    tokens: Vec<TokenView>,
    now: i64,
    /// Expired tokens stop working (else they are listed here, but work).
    #[prop(default = true)]
    expiry_enforced: bool,
) -> impl IntoView {
    let count = tokens.len();
    let rows = tokens
        .into_iter()
        .map(|t| {
            let state = t.state(now);
            let status = match t.overlap_until(now) {
                Some(until) => view! {
                    <span data-testid="overlap-until">
                        "Rotated; the old secret still works until "
                        <time datetime=instant::machine(until)>{instant::date_time(until)}</time>
                    </span>
                }
                .into_any(),
                None => view! { <TokenStatus state expiry_enforced /> }.into_any(),
            };
            view! {
                <tr role="row" data-testid="inactive-token">
                    {first_cells(&t)}
                    <td role="cell" data-label="Status" class="px-3 py-2">
                        {status}
                    </td>
                </tr>
            }
        })
        .collect_view();
    (count > 0).then(|| {
        view! {
            <section aria-labelledby="inactive-heading" class="space-y-2">
                <h2 id="inactive-heading" class="text-lg font-semibold">
                    {format!("Inactive personal access tokens ({count})")}
                </h2>
                <DataTable columns=&["Token name", "Scopes", "Created", "Status"]>{rows}</DataTable>
            </section>
        }
    })
}

/// The confirmation before revoking: a dialog over the page with
/// JavaScript, the same panel as its own step without.
#[component]
pub fn RevokeDialog(token: TokenView, action: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <ConfirmDialog
            name="revoke"
            title=format!("Revoke “{}”?", token.name)
            text="Any script or application using this token will stop working. This cannot be undone."
        >
            <PostForm action=action>
                <input type="hidden" name="id" value=token.id.to_string() />
                {confirm_buttons(paths::TOKENS.to_owned(), "Revoke", true, action.pending().into())}
            </PostForm>
        </ConfirmDialog>
    }
}
