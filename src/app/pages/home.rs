use crate::app::use_current_user;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Home() -> impl IntoView {
    let user = use_current_user();
    view! {
        // The app's formatter titles an empty page name "Forgekey".
        <Title text="" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => {
                        view! {
                            <div class="mx-auto max-w-6xl px-4 py-10">
                                <h1 class="text-2xl font-semibold">"Welcome, " {user.username}</h1>
                                <p class="mt-2 text-gray-700">
                                    "Manage your account and the tokens your scripts and tools use to act as you."
                                </p>
                                <div class="mt-8 grid gap-4 sm:grid-cols-2">
                                    <A
                                        href=paths::PROFILE
                                        attr:class="block rounded-lg border border-gray-200 bg-white p-5 shadow-sm hover:border-indigo-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        <h2 class="font-semibold">"Profile"</h2>
                                        <p class="mt-1 text-sm text-gray-600">
                                            "Your username and email address."
                                        </p>
                                    </A>
                                    <A
                                        href=paths::ACCOUNT
                                        attr:class="block rounded-lg border border-gray-200 bg-white p-5 shadow-sm hover:border-indigo-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        <h2 class="font-semibold">"Account"</h2>
                                        <p class="mt-1 text-sm text-gray-600">
                                            "Change your password and set up two-factor authentication."
                                        </p>
                                    </A>
                                    <A
                                        href=paths::PROJECTS
                                        attr:class="block rounded-lg border border-gray-200 bg-white p-5 shadow-sm hover:border-indigo-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        <h2 class="font-semibold">"Projects"</h2>
                                        <p class="mt-1 text-sm text-gray-600">
                                            "Git repositories you clone and push over HTTP with a token."
                                        </p>
                                    </A>
                                    <A
                                        href=paths::TOKENS
                                        attr:class="block rounded-lg border border-gray-200 bg-white p-5 shadow-sm hover:border-indigo-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        <h2 class="font-semibold">"Access Tokens"</h2>
                                        <p class="mt-1 text-sm text-gray-600">
                                            "Tokens for the API and for Git over HTTP."
                                        </p>
                                    </A>
                                </div>
                            </div>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <div class="mx-auto max-w-3xl px-4 py-16 text-center">
                                <h1 class="text-4xl font-bold tracking-tight">"Forgekey"</h1>
                                <p class="mt-4 text-lg text-gray-700">
                                    "Accounts, two-factor authentication and personal access tokens for your software forge, self-hosted."
                                </p>
                                <div class="mt-8 flex justify-center gap-3">
                                    <A
                                        href=paths::SIGN_IN
                                        attr:class="rounded-md border border-gray-300 bg-white px-4 py-2 font-medium hover:bg-gray-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        "Sign in"
                                    </A>
                                    <A
                                        href=paths::SIGN_UP
                                        attr:class="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        "Register"
                                    </A>
                                </div>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
