//! The second sign-in step of a user with two-factor authentication.

use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::AuthCard;
use crate::app::fns::take_flash;
use crate::app::fns::two_factor::second_step_pending;
use crate::app::use_auth;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SecondStep() -> impl IntoView {
    let action = use_auth().verify_two_factor;
    let pending = Resource::new(|| (), |_| second_step_pending());
    let flash = Resource::new(|| (), |_| take_flash("verify_two_factor".to_owned()));
    view! {
        <Title text="Two-factor authentication" />
        <AuthCard title="Two-factor authentication">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    if !matches!(pending.await, Ok(true)) {
                        return view! {
                            <p role="alert" class="text-sm text-gray-800">
                                "Your sign-in attempt expired or was never started. "
                                <A
                                    href=paths::SIGN_IN
                                    attr:class="font-medium text-indigo-700 underline"
                                >
                                    "Sign in again"
                                </A>
                            </p>
                        }
                            .into_any();
                    }
                    let feedback = Feedback::new(action, flash);
                    view! {
                        <FormMessages feedback />
                        <ActionForm action=action attr:class="space-y-4">
                            <Field
                                label="Two-factor code"
                                name="code"
                                autocomplete="one-time-code"
                                clear_when=feedback.failed()
                                error=feedback.field("code")
                                hint="Enter the six-digit code from your two-factor app. If you've lost your device, enter one of your recovery codes."
                            />
                            <SubmitButton label="Verify code" pending=action.pending() />
                        </ActionForm>
                    }
                        .into_any()
                })}
            </Suspense>
        </AuthCard>
    }
}
