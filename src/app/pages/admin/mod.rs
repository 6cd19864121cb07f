//! The Admin Area: administrators only (everyone else gets a 404).

pub mod audit;
pub mod outbox;
pub mod overview;
pub mod settings;
pub mod user;
pub mod users;

use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::AuthCard;
use crate::app::error::AppError;
use crate::app::fns::admin::Page;
use crate::app::fns::take_flash;
use crate::app::pages::not_found::NotFound;
use crate::app::{use_auth, use_current_user};
use crate::paths;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;

const MENU: &[(&str, &str)] = &[
    (paths::ADMIN, "Overview"),
    (paths::ADMIN_SETTINGS, "Settings"),
    (paths::ADMIN_USERS, "Users"),
    (paths::ADMIN_AUDIT, "Audit log"),
    (paths::ADMIN_OUTBOX, "Outbox"),
];

/// The Admin Area's menu and the page.
#[component]
pub fn AdminLayout(#[prop(into)] title: String, children: Children) -> impl IntoView {
    let location = use_location();
    view! {
        <div class="mx-auto flex max-w-6xl flex-col gap-6 px-4 py-8 md:flex-row">
            <nav aria-label="Admin Area" class="md:w-56 md:shrink-0">
                <h2 class="mb-2 px-3 text-xs font-semibold uppercase tracking-wide text-gray-600">"Admin Area"</h2>
                <ul class="space-y-1">
                    {MENU
                        .iter()
                        .map(|(href, label)| {
                            let current = move || {
                                let path = location.pathname.get();
                                if *href == paths::ADMIN { path == paths::ADMIN } else { path.starts_with(href) }
                            };
                            view! {
                                <li>
                                    <A href=*href attr:class=move || {
                                        if current() {
                                            "block rounded-md bg-indigo-50 px-3 py-2 text-sm font-medium text-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        } else {
                                            "block rounded-md px-3 py-2 text-sm text-gray-700 hover:bg-gray-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        }
                                    }>{*label}</A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <section class="min-w-0 flex-1 space-y-6">
                <h1 class="text-2xl font-semibold text-gray-900">{title}</h1>
                {children()}
            </section>
        </div>
    }
}

/// What an Admin Area page shows when its data did not load: the sign-in
/// page for nobody, a 404 for non-administrators, else the error.
pub fn failed(error: AppError) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <Redirect path=paths::SIGN_IN/> }.into_any(),
        AppError::NotFound => view! { <NotFound/> }.into_any(),
        AppError::AdminModeRequired => view! { <EnterAdminMode/> }.into_any(),
        other => view! {
            <div role="alert" class="mx-auto mt-8 max-w-xl rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800">
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
            {(current > 1).then(|| view! { <A href=href(current - 1) attr:rel="prev" attr:class=link>"Previous"</A> })}
            <span>{format!("Page {current} of {pages} ({} in all)", page.total)}</span>
            {(current < pages).then(|| view! { <A href=href(current + 1) attr:rel="next" attr:class=link>"Next"</A> })}
        </nav>
    }
}

/// A modal confirmation step. `children` is the form that confirms.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="fixed inset-0 z-40 flex items-center justify-center bg-gray-900/50 p-4">
            <div role="dialog" aria-modal="true" aria-labelledby="confirm-heading" aria-describedby="confirm-text"
                data-testid="confirm-dialog"
                class="w-full max-w-md space-y-4 rounded-lg bg-white p-6 shadow-xl">
                <h2 id="confirm-heading" class="text-lg font-semibold">{title}</h2>
                <p id="confirm-text" class="text-sm text-gray-700">{text}</p>
                {children()}
            </div>
        </div>
    }
}

/// The Cancel link and the confirming button of a dialog's form.
pub fn confirm_buttons(cancel: String, label: &'static str, danger: bool) -> impl IntoView {
    let button = if danger {
        "rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white hover:bg-red-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2"
    } else {
        "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
    };
    view! {
        <div class="flex justify-end gap-3">
            <A href=cancel attr:class="rounded-md border border-gray-300 px-4 py-2 text-sm font-medium hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                "Cancel"
            </A>
            <button type="submit" autofocus=true class=button>{label}</button>
        </div>
    }
}

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
                    let two_factor = user.await.ok().flatten().is_some_and(|u| u.two_factor_enabled);
                    view! {
                        <p class="text-sm text-gray-700">
                            "Admin mode is on for this instance: confirm it is you before administrative work. "
                            "It lasts six hours, or until you sign out."
                        </p>
                        <FormMessages feedback/>
                        <ActionForm action attr:class="space-y-4">
                            <Field label="Password" name="password" kind="password" autocomplete="current-password"
                                error=feedback.field("password") clear_when=feedback.failed()/>
                            {two_factor.then(|| view! {
                                <Field label="Two-factor code" name="code" inputmode="numeric" autocomplete="one-time-code"
                                    error=feedback.field("code") clear_when=feedback.failed()
                                    hint="From your authenticator app, or a recovery code."/>
                            })}
                            <SubmitButton label="Enter admin mode" pending=action.pending()/>
                        </ActionForm>
                    }
                })}
            </Transition>
        </AuthCard>
    }
}
