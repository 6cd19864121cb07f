use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::AuthCard;
use crate::app::fns::take_flash;
use crate::app::use_auth;
use crate::domain::account::{PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignUp() -> impl IntoView {
    let action = use_auth().sign_up;
    let flash = Resource::new(|| (), |_| take_flash("sign_up".to_owned()));
    view! {
        <Title text="Register" />
        <AuthCard title="Create your Forgekey account">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    let value = |name| {
                        flash.as_ref().and_then(|f| f.value(name)).unwrap_or_default()
                    };
                    let (username, email) = (value("username"), value("email"));
                    let feedback = Feedback::new(action, flash);
                    view! {
                        <FormMessages feedback />
                        <ActionForm action=action attr:class="space-y-4">
                            <Field
                                label="Username"
                                name="username"
                                value=username
                                error=feedback.field("username")
                                autocomplete="username"
                                maxlength=USERNAME_MAX as u32
                                hint="Letters, digits, '_', '-' and '.'; at least 2 characters."
                            />
                            <Field
                                label="Email"
                                name="email"
                                kind="email"
                                value=email
                                error=feedback.field("email")
                                autocomplete="email"
                            />
                            <Field
                                label="Password"
                                name="password"
                                kind="password"
                                clear_when=feedback.failed()
                                error=feedback.field("password")
                                autocomplete="new-password"
                                minlength=PASSWORD_MIN as u32
                                maxlength=PASSWORD_MAX as u32
                                hint="At least 8 characters."
                            />
                            <SubmitButton label="Register" pending=action.pending() />
                        </ActionForm>
                    }
                })}
            </Suspense>
            <p class="text-center text-sm text-gray-700">
                "Already have an account? "
                <A href=paths::SIGN_IN attr:class="font-medium text-indigo-700 underline">
                    "Sign in"
                </A>
            </p>
        </AuthCard>
    }
}
