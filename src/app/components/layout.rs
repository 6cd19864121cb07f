//! Page chrome: the top bar with the user's menu and the settings layout.

use crate::app::components::focus::{details_by_id, focus_by_id};
use crate::app::components::form::PostForm;
use crate::app::fns::CurrentUser;
use crate::app::{use_auth, use_current_user};
use crate::paths;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn TopBar() -> impl IntoView {
    let user = use_current_user();
    view! {
        <header class="border-b border-gray-200 bg-gray-900 text-white">
            <nav
                class="mx-auto flex max-w-6xl items-center justify-between px-4 py-3"
                aria-label="Main"
            >
                <A
                    href="/"
                    attr:class="flex items-center gap-2 text-lg font-semibold focus:outline-none focus-visible:ring-2 focus-visible:ring-white"
                >
                    <span
                        aria-hidden="true"
                        class="inline-block h-6 w-6 rounded bg-indigo-500 text-center text-sm leading-6"
                    >
                        "F"
                    </span>
                    "Forgekey"
                </A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(user)) => view! { <UserMenu user /> }.into_any(),
                            _ => view! { <SignedOutLinks /> }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

#[component]
fn SignedOutLinks() -> impl IntoView {
    view! {
        <div class="flex items-center gap-3 text-sm">
            <A
                href=paths::SIGN_IN
                attr:class="rounded px-3 py-1.5 hover:bg-gray-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-white"
            >
                "Sign in"
            </A>
            <A
                href=paths::SIGN_UP
                attr:class="rounded bg-indigo-600 px-3 py-1.5 font-medium hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-white"
            >
                "Register"
            </A>
        </div>
    }
}

const USER_MENU: &str = "user-menu";
const USER_MENU_BUTTON: &str = "user-menu-button";

/// The signed-in user's menu. A `<details>` element, so it opens with the
/// keyboard and without JavaScript; with it, the menu also closes as menus
/// do: on Escape (focus back on its button), on a click outside it, and on
/// choosing one of its links.
#[component]
fn UserMenu(user: CurrentUser) -> impl IntoView {
    let sign_out = use_auth().sign_out;
    let menu = || details_by_id(USER_MENU);
    let close = move || {
        let open = menu().filter(|menu| menu.open());
        if let Some(menu) = &open {
            menu.set_open(false);
        }
        open.is_some()
    };
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && close() {
            focus_by_id(USER_MENU_BUTTON);
        }
    });
    let outside = window_event_listener(leptos::ev::click, move |ev| {
        use wasm_bindgen::JsCast;
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let inside = menu().is_some_and(|menu| menu.contains(target.as_ref().map(|t| t.as_ref())));
        // Its links and its button lead elsewhere: the menu closes too.
        let leaves = target.is_some_and(|t| t.closest("a, button").ok().flatten().is_some());
        if !inside || leaves {
            close();
        }
    });
    on_cleanup(move || {
        escape.remove();
        outside.remove();
    });
    view! {
        <details class="relative" id=USER_MENU>
            <summary
                id=USER_MENU_BUTTON
                class="flex cursor-pointer list-none items-center gap-2 rounded px-3 py-1.5 text-sm hover:bg-gray-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-white"
                data-testid="user-menu"
            >
                <span
                    class="inline-block h-7 w-7 rounded-full bg-indigo-400 text-center leading-7 font-semibold uppercase"
                    aria-hidden="true"
                >
                    {user.username.chars().next().map(String::from).unwrap_or_default()}
                </span>
                <span>{user.username.clone()}</span>
            </summary>
            <div class="absolute right-0 z-10 mt-2 w-56 rounded-md bg-white py-1 text-gray-900 shadow-lg ring-1 ring-black/10">
                <p class="border-b border-gray-100 px-4 py-2 text-xs text-gray-600">
                    "Signed in as " <strong class="text-gray-900">{user.username.clone()}</strong>
                </p>
                <A
                    href=paths::PROJECTS
                    attr:class="block px-4 py-2 text-sm hover:bg-gray-100 focus:bg-gray-100 focus:outline-none"
                >
                    "Projects"
                </A>
                <A
                    href=paths::PROFILE
                    attr:class="block px-4 py-2 text-sm hover:bg-gray-100 focus:bg-gray-100 focus:outline-none"
                >
                    "Settings"
                </A>
                {user
                    .is_admin
                    .then(|| {
                        view! {
                            <A
                                href="/admin"
                                attr:class="block px-4 py-2 text-sm hover:bg-gray-100 focus:bg-gray-100 focus:outline-none"
                            >
                                "Admin Area"
                            </A>
                        }
                    })}
                <PostForm action=sign_out>
                    <button
                        type="submit"
                        class="block w-full px-4 py-2 text-left text-sm hover:bg-gray-100 focus:bg-gray-100 focus:outline-none"
                    >
                        "Sign out"
                    </button>
                </PostForm>
            </div>
        </details>
    }
}

/// A centred card for the sign-in and sign-up pages.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="mx-auto mt-12 max-w-md px-4">
            <h1 class="mb-6 text-center text-2xl font-semibold text-gray-900">{title}</h1>
            <div class="space-y-4 rounded-lg border border-gray-200 bg-white p-6 shadow-sm">
                {children()}
            </div>
        </div>
    }
}

const SETTINGS_MENU: &[(&str, &str)] = &[
    (paths::PROFILE, "Profile"),
    (paths::ACCOUNT, "Account"),
    (paths::TOKENS, "Access Tokens"),
];

/// User Settings: a left menu and the page.
#[component]
pub fn SettingsLayout(title: &'static str, children: Children) -> impl IntoView {
    // Two-factor authentication is a page of Account.
    let current = |href: &str, path: &str| {
        path == href
            || (href == paths::ACCOUNT && path == paths::TWO_FACTOR)
            || (href == paths::TOKENS && path.starts_with(paths::TOKENS))
    };
    view! {
        <SideMenuLayout label="User settings" menu=SETTINGS_MENU current title=title.to_owned()>
            {children()}
        </SideMenuLayout>
    }
}

/// A page with a left menu (User Settings, the Admin Area): `menu` is its
/// links (address, words); `current` says whether a link is the page at a
/// path, which the menu marks.
#[component]
pub fn SideMenuLayout(
    label: &'static str,
    menu: &'static [(&'static str, &'static str)],
    current: fn(&str, &str) -> bool,
    #[prop(into)] title: String,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    view! {
        <div class="mx-auto flex max-w-6xl flex-col gap-6 px-4 py-8 md:flex-row">
            <nav aria-label=label class="md:w-56 md:shrink-0">
                <h2 class="mb-2 px-3 text-xs font-semibold uppercase tracking-wide text-gray-600">
                    {label}
                </h2>
                <ul class="space-y-1">
                    {menu
                        .iter()
                        .map(|(href, words)| {
                            let here = move || current(href, &location.pathname.get());
                            view! {
                                <li>
                                    <A
                                        href=*href
                                        attr:aria-current=move || here().then_some("page")
                                        attr:class=move || {
                                            if here() {
                                                "block rounded-md bg-indigo-50 px-3 py-2 text-sm font-medium text-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                            } else {
                                                "block rounded-md px-3 py-2 text-sm text-gray-700 hover:bg-gray-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                            }
                                        }
                                    >
                                        {*words}
                                    </A>
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

/// A titled panel of a page (a form, an account's facts): its heading
/// names the section for screen readers, as `{name}-heading`.
#[component]
pub fn Card(name: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let (heading, labelled_by) = (format!("{name}-heading"), format!("{name}-heading"));
    view! {
        <section
            aria-labelledby=labelled_by
            class="space-y-4 rounded-lg border border-gray-200 bg-white p-6"
        >
            <h2 id=heading class="text-lg font-semibold">
                {title}
            </h2>
            {children()}
        </section>
    }
}
