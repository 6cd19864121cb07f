//! The Admin Area: administrators only (everyone else gets a 404).

pub mod audit;
pub mod credentials;
pub mod outbox;
pub mod overview;
pub mod settings;
pub mod user;
pub mod users;

use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::{AuthCard, SideMenuLayout};
use crate::app::error::AppError;
use crate::app::fns::admin::{AuditLine, Page};
use crate::app::fns::take_flash;
use crate::app::pages::not_found::NotFound;
use crate::app::{use_auth, use_current_user};
use crate::domain::instant;
use crate::paths;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

const MENU: &[(&str, &str)] = &[
    (paths::ADMIN, "Overview"),
    (paths::ADMIN_SETTINGS, "Settings"),
    (paths::ADMIN_USERS, "Users"),
    (paths::ADMIN_CREDENTIALS, "Credentials"),
    (paths::ADMIN_AUDIT, "Audit log"),
    (paths::ADMIN_OUTBOX, "Outbox"),
];

/// The Admin Area's menu and the page.
#[component]
pub fn AdminLayout(#[prop(into)] title: String, children: Children) -> impl IntoView {
    let current = |href: &str, path: &str| {
        if href == paths::ADMIN {
            path == paths::ADMIN
        } else {
            path.starts_with(href)
        }
    };
    view! {
        <SideMenuLayout label="Admin Area" menu=MENU current title>
            {children()}
        </SideMenuLayout>
    }
}

/// What an Admin Area page shows when its data did not load: the sign-in
/// page for nobody, a 404 for non-administrators, else the error.
pub fn failed(error: AppError) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <Redirect path=paths::SIGN_IN /> }.into_any(),
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        AppError::AdminModeRequired => view! { <EnterAdminMode /> }.into_any(),
        other => view! {
            <div
                role="alert"
                class="mx-auto mt-8 max-w-xl rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800"
            >
                {other.to_string()}
            </div>
        }
        .into_any(),
    }
}

pub const LOADING: &str = "Loading…";

/// The `page` query parameter (1 when absent or not a number).
pub fn page_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(1)
        })
    }
}

/// Previous / next links for a paged list; `href(page)` builds each link.
pub fn pager<T>(page: &Page<T>, href: impl Fn(i64) -> String) -> impl IntoView {
    let (current, pages) = (page.page, page.pages());
    let link = "rounded-md border border-gray-300 px-3 py-1 text-sm hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";
    view! {
        <nav aria-label="Pages" class="flex items-center gap-3 text-sm text-gray-700">
            {(current > 1)
                .then(|| {
                    view! {
                        <A href=href(current - 1) attr:rel="prev" attr:class=link>
                            "Previous"
                        </A>
                    }
                })}
            <span>
                {if crate::domain::paging::is_exact(page.total) {
                    format!("Page {current} of {pages} ({} in all)", page.total)
                } else {
                    format!("Page {current} (more than 10,000 in all)")
                }}
            </span>
            {(current < pages)
                .then(|| {
                    view! {
                        <A href=href(current + 1) attr:rel="next" attr:class=link>
                            "Next"
                        </A>
                    }
                })}
        </nav>
    }
}

pub use crate::app::components::dialog::{confirm_buttons, ConfirmDialog};

/// "Yes"/"No" for a table cell.
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// Changes whenever the administrator enters admin mode: every Admin Area
/// page's data depends on it, so the page loads once admin mode is on.
pub fn admin_mode_entered() -> usize {
    use_auth().enter_admin_mode.version().get()
}

/// Admin mode is on: re-authenticate before admin work.
#[component]
fn EnterAdminMode() -> impl IntoView {
    let action = use_auth().enter_admin_mode;
    let user = use_current_user();
    let flash = Resource::new(|| (), |_| take_flash("enter_admin_mode".to_owned()));
    view! {
        <AuthCard title="Enter admin mode">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let feedback = Feedback::new(action, flash.await.ok().flatten());
                    let two_factor = user
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|u| u.two_factor_enabled);
                    view! {
                        <p class="text-sm text-gray-700">
                            "Admin mode is on for this instance: confirm it is you before administrative work. "
                            "It lasts six hours, or until you sign out."
                        </p>
                        <FormMessages feedback />
                        <ActionForm action attr:class="space-y-4">
                            <Field
                                label="Password"
                                name="password"
                                kind="password"
                                autocomplete="current-password"
                                error=feedback.field("password")
                                clear_when=feedback.failed()
                            />
                            {two_factor
                                .then(|| {
                                    view! {
                                        <Field
                                            label="Two-factor code"
                                            name="code"
                                            inputmode="numeric"
                                            autocomplete="one-time-code"
                                            error=feedback.field("code")
                                            clear_when=feedback.failed()
                                            hint="From your authenticator app, or a recovery code."
                                        />
                                    }
                                })}
                            <SubmitButton label="Enter admin mode" pending=action.pending() />
                        </ActionForm>
                    }
                })}
            </Transition>
        </AuthCard>
    }
}

/// One audit event on a line: when, who, what, then `about` (whom or which
/// token it concerned).
#[component]
pub fn EventLine(
    event: AuditLine,
    about: Option<String>,
    /// For tests: the line's `data-testid`.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <li class="px-4 py-2" data-testid=testid>
            <time datetime=instant::machine(event.at)>{instant::date_time(event.at)}</time>
            " · "
            <strong>{event.actor}</strong>
            " · "
            {event.action}
            {about}
        </li>
    }
}
