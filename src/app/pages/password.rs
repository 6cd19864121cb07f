//! "Forgot your password?" (GitLab's `/users/password/new`) and the page a
//! mailed link opens (`/users/password/edit?reset_password_token=…`).

use crate::app::components::form::{
    ErrorBox, Feedback, Field, FieldError, FormMessages, SubmitButton,
};
use crate::app::components::layout::AuthCard;
use crate::app::fns::recovery::{check_reset_link, RequestPasswordReset, ResetPassword};
use crate::app::fns::take_flash;
use crate::domain::account::{EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, RESET_LINK_REFUSED};
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

fn sign_in_link() -> impl IntoView {
    view! {
        <p class="text-center text-sm text-gray-700">
            <A href=paths::SIGN_IN attr:class="font-medium text-indigo-700 underline">
                "Back to sign in"
            </A>
        </p>
    }
}

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let flash = Resource::new(|| (), |_| take_flash("request_password_reset".to_owned()));
    view! {
        <Title text="Forgot your password?" />
        <AuthCard title="Forgot your password?">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    let email = flash.as_ref().and_then(|f| f.value("email")).unwrap_or_default();
                    let feedback = Feedback::new(action, flash);
                    view! {
                        <p class="text-sm text-gray-700">
                            "Enter the email address of your account: we mail you a link to choose a new password. It works once, within an hour."
                        </p>
                        <FormMessages feedback />
                        <ActionForm action=action attr:class="space-y-4">
                            <Field
                                label="Email"
                                name="email"
                                kind="email"
                                value=email
                                error=feedback.field("email")
                                autocomplete="email"
                                maxlength=EMAIL_MAX as u32
                            />
                            <SubmitButton label="Reset password" pending=action.pending() />
                        </ActionForm>
                    }
                })}
            </Suspense>
            {sign_in_link()}
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || {
        query
            .with(|q| q.get("reset_password_token"))
            .unwrap_or_default()
    };
    let works = Resource::new(token, check_reset_link);
    let flash = Resource::new(|| (), |_| take_flash("reset_password".to_owned()));
    view! {
        <Title text="Choose a new password" />
        <AuthCard title="Choose a new password">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flash = flash.await.ok().flatten();
                    let works = works.await.unwrap_or(false);
                    let feedback = Feedback::new(action, flash);
                    let done = move || {
                        feedback.error.with(Option::is_none)
                            && feedback.notice.with(Option::is_some)
                    };
                    move || {
                        if done() {
                            // The notice says it worked; the way on is signing in.
                            view! {
                                <FormMessages feedback />
                                <A
                                    href=paths::SIGN_IN
                                    attr:class="block text-center font-medium text-indigo-700 underline"
                                >
                                    "Sign in"
                                </A>
                            }
                                .into_any()
                        } else if !works && !feedback.settled.get() {
                            view! {
                                <ErrorBox message=RESET_LINK_REFUSED />
                                <A
                                    href=paths::FORGOT_PASSWORD
                                    attr:class="block text-center font-medium text-indigo-700 underline"
                                >
                                    "Ask for a new link"
                                </A>
                            }
                                .into_any()
                        } else {
                            view! {
                                <FormMessages feedback />
                                <FieldError
                                    id="reset-link-error".to_owned()
                                    error=feedback.field("reset_password_token")
                                />
                                <ActionForm action=action attr:class="space-y-4">
                                    <input
                                        type="hidden"
                                        name="reset_password_token"
                                        value=token()
                                    />
                                    <Field
                                        label="New password"
                                        name="password"
                                        kind="password"
                                        clear_when=feedback.failed()
                                        error=feedback.field("password")
                                        autocomplete="new-password"
                                        minlength=PASSWORD_MIN as u32
                                        maxlength=PASSWORD_MAX as u32
                                    />
                                    <Field
                                        label="Confirm new password"
                                        name="password_confirmation"
                                        kind="password"
                                        clear_when=feedback.failed()
                                        error=feedback.field("password_confirmation")
                                        autocomplete="new-password"
                                    />
                                    <SubmitButton
                                        label="Change your password"
                                        pending=action.pending()
                                    />
                                </ActionForm>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
