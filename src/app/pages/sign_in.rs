use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::AuthCard;
use crate::app::fns::take_flash;
use crate::app::use_auth;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignIn() -> impl IntoView {
    let action = use_auth().sign_in;
    let flash = Resource::new(|| (), |_| take_flash("sign_in".to_owned()));
    view! {
        <Title text="Sign in" />
        <AuthCard title="Sign in to Forgekey">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    let login = flash.as_ref().and_then(|f| f.value("login"));
                    let feedback = Feedback::new(action, flash);
                    view! {
                        <FormMessages feedback />
                        <ActionForm action=action attr:class="space-y-4" attr:novalidate=false>
                            <Field
                                label="Username or email"
                                name="login"
                                value=login.unwrap_or_default()
                                error=feedback.field("login")
                                autocomplete="username"
                            />
                            <Field
                                label="Password"
                                name="password"
                                kind="password"
                                clear_when=feedback.failed()
                                error=feedback.field("password")
                                autocomplete="current-password"
                            />
                            <SubmitButton label="Sign in" pending=action.pending() />
                        </ActionForm>
                        <p class="text-sm">
                            <A
                                href=paths::FORGOT_PASSWORD
                                attr:class="font-medium text-indigo-700 underline"
                            >
                                "Forgot your password?"
                            </A>
                        </p>
                    }
                })}
            </Suspense>
            <p class="text-center text-sm text-gray-700">
                "Don't have an account yet? "
                <A href=paths::SIGN_UP attr:class="font-medium text-indigo-700 underline">
                    "Register now"
                </A>
            </p>
        </AuthCard>
    }
}
