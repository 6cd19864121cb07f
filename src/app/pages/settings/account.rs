use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::SettingsLayout;
use crate::app::fns::take_flash;
use crate::app::pages::signed_in_only;
use crate::app::use_auth;
use crate::domain::account::{PASSWORD_MAX, PASSWORD_MIN};
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Account() -> impl IntoView {
    let action = use_auth().change_password;
    let flash = Resource::new(|| (), |_| take_flash("change_password".to_owned()));
    view! {
        <Title text="Account" />
        <SettingsLayout title="Account">
            {signed_in_only(move |user| {
                view! {
                    <section
                        class="mb-6 rounded-lg border border-gray-200 bg-white p-6"
                        aria-labelledby="two-factor-heading"
                    >
                        <h2 id="two-factor-heading" class="text-lg font-semibold">
                            "Two-factor authentication"
                        </h2>
                        <p class="mt-1 mb-4 text-sm text-gray-600" data-testid="account-two-factor">
                            {if user.two_factor_enabled {
                                "Status: enabled. Signing in asks for a code from your app; Git and the API need personal access tokens."
                            } else {
                                "Status: disabled. Add a second step to signing in, with a code from an app on your phone."
                            }}
                        </p>
                        <A
                            href=paths::TWO_FACTOR
                            attr:class="inline-flex rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
                        >
                            {if user.two_factor_enabled {
                                "Manage two-factor authentication"
                            } else {
                                "Enable two-factor authentication"
                            }}
                        </A>
                    </section>
                    <section
                        class="rounded-lg border border-gray-200 bg-white p-6"
                        aria-labelledby="password-heading"
                    >
                        <h2 id="password-heading" class="text-lg font-semibold">
                            "Change password"
                        </h2>
                        <p class="mt-1 mb-4 text-sm text-gray-600">
                            "After a successful password update, your other sessions are signed out."
                        </p>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let flash = flash.await.ok().flatten();
                                let feedback = Feedback::new(action, flash);
                                view! {
                                    <div class="space-y-4">
                                        <FormMessages feedback />
                                        <ActionForm action=action attr:class="max-w-md space-y-4">
                                            <Field
                                                label="Current password"
                                                name="current_password"
                                                kind="password"
                                                clear_when=feedback.settled
                                                error=feedback.field("current_password")
                                                autocomplete="current-password"
                                            />
                                            <Field
                                                label="New password"
                                                name="new_password"
                                                kind="password"
                                                clear_when=feedback.settled
                                                error=feedback.field("new_password")
                                                autocomplete="new-password"
                                                minlength=PASSWORD_MIN as u32
                                                maxlength=PASSWORD_MAX as u32
                                            />
                                            <Field
                                                label="Password confirmation"
                                                name="password_confirmation"
                                                kind="password"
                                                clear_when=feedback.settled
                                                error=feedback.field("password_confirmation")
                                                autocomplete="new-password"
                                            />
                                            <SubmitButton
                                                label="Save password"
                                                pending=action.pending()
                                            />
                                        </ActionForm>
                                    </div>
                                }
                            })}
                        </Suspense>
                    </section>
                }
            })}
        </SettingsLayout>
    }
}
