//! User Settings → Account → Two-factor authentication.

use crate::app::components::copy::CopyButton;
use crate::app::components::form::{
    ErrorBox, Feedback, Field, FormMessages, SubmitButton, ToNotice,
};
use crate::app::components::layout::{Card, SettingsLayout};
use crate::app::error::AppError;
use crate::app::fns::codec::Json;
use crate::app::fns::take_flash;
use crate::app::fns::two_factor::{
    load_two_factor, ConfirmTwoFactor, EnrolmentView, RegenerateRecoveryCodes, StartTwoFactor,
};
use crate::app::pages::signed_in_only;
use crate::app::use_auth;
use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use leptos_meta::Title;
use serde::de::DeserializeOwned;

#[component]
pub fn TwoFactor() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let disable = use_auth().disable_two_factor;
    let page = Resource::new(
        move || {
            (
                start.version().get(),
                confirm.version().get(),
                regenerate.version().get(),
                disable.version().get(),
            )
        },
        |_| load_two_factor(),
    );
    let flashes = Resource::new(
        || (),
        |_| async move {
            let take = |form: &str| take_flash(form.to_owned());
            (
                take("start_two_factor").await.ok().flatten(),
                take("confirm_two_factor").await.ok().flatten(),
                take("regenerate_recovery_codes").await.ok().flatten(),
                take("disable_two_factor").await.ok().flatten(),
            )
        },
    );

    view! {
        <Title text="Two-factor authentication" />
        <SettingsLayout title="Two-factor authentication">
            {signed_in_only(move |_user| {
                view! {
                    <div class="space-y-6">
                        <p class="text-sm text-gray-700">
                            "Two-factor authentication asks for a code from an app on your phone each time you sign in, "
                            "in addition to your password. With it on, Git over HTTP and the API accept only "
                            "personal access tokens, not your password."
                        </p>
                        <Transition fallback=|| {
                            view! { <p class="text-sm text-gray-600">"Loading…"</p> }
                        }>
                            {move || Suspend::new(async move {
                                let (start_flash, confirm_flash, regenerate_flash, disable_flash) = flashes
                                    .await;
                                let page = match page.await {
                                    Ok(page) => page,
                                    Err(e) => {
                                        return view! { <ErrorBox message=e.to_string() /> }
                                            .into_any();
                                    }
                                };
                                let revealed = page.new_codes.clone();
                                let codes = move || match (
                                    confirm.value().get(),
                                    regenerate.value().get(),
                                ) {
                                    (Some(Ok(codes)), _) | (_, Some(Ok(codes))) => Some(codes.0),
                                    _ => revealed.clone(),
                                };
                                let body = if page.enabled {
                                    let regenerate_feedback = Feedback::new(
                                        regenerate,
                                        regenerate_flash,
                                    );
                                    let disable_feedback = Feedback::new(disable, disable_flash);
                                    view! {
                                        <p
                                            role="status"
                                            data-testid="two-factor-status"
                                            class="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-900"
                                        >
                                            "Two-factor authentication is enabled. You have "
                                            {page.recovery_codes_left}
                                            " unused recovery codes."
                                        </p>
                                        <PasswordForm
                                            heading="Regenerate recovery codes"
                                            id="regenerate"
                                            text="New codes replace all your current ones: codes you saved before stop working."
                                            action=regenerate
                                            feedback=regenerate_feedback
                                            label="Regenerate recovery codes"
                                        />
                                        <PasswordForm
                                            heading="Disable two-factor authentication"
                                            id="disable"
                                            text="Your account will be protected by your password alone."
                                            action=disable
                                            feedback=disable_feedback
                                            label="Disable two-factor authentication"
                                        />
                                    }
                                        .into_any()
                                } else if let Some(enrolment) = page.enrolment.clone() {
                                    let feedback = Feedback::new(confirm, confirm_flash);
                                    view! { <Enrol enrolment action=confirm feedback /> }.into_any()
                                } else {
                                    let feedback = Feedback::new(start, start_flash);
                                    let disabled = Feedback::new(disable, disable_flash);
                                    view! {
                                        <FormMessages feedback=disabled />
                                        <PasswordForm
                                            heading="Enable two-factor authentication"
                                            id="start"
                                            text="Enter your password to start: you'll then scan a QR code with your app."
                                            action=start
                                            feedback
                                            label="Continue"
                                        />
                                    }
                                        .into_any()
                                };
                                view! {
                                    {move || codes().map(|codes| view! { <RecoveryCodes codes /> })}
                                    {body}
                                }
                                    .into_any()
                            })}
                        </Transition>
                    </div>
                }
            })}
        </SettingsLayout>
    }
}

/// A form that asks for the password and does one thing.
#[component]
fn PasswordForm<S>(
    heading: &'static str,
    id: &'static str,
    text: &'static str,
    action: ServerAction<S>,
    feedback: Feedback,
    label: &'static str,
) -> impl IntoView
where
    S: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, Json>, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    <<S::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData:
        From<web_sys::FormData>,
    S::Client: Client<AppError>,
    S::Output: ToNotice + Clone + Send + Sync + 'static,
{
    let heading_id = format!("{id}-heading");
    let labelled_by = heading_id.clone();
    view! {
        <section
            aria-labelledby=labelled_by
            class="space-y-3 rounded-lg border border-gray-200 bg-white p-6"
        >
            <h2 id=heading_id class="text-lg font-semibold">
                {heading}
            </h2>
            <p class="text-sm text-gray-600">{text}</p>
            <FormMessages feedback />
            <ActionForm action attr:class="max-w-md space-y-4">
                <Field
                    label="Current password"
                    name="password"
                    form_id=id
                    kind="password"
                    autocomplete="current-password"
                    clear_when=feedback.settled
                    error=feedback.field("password")
                />
                <SubmitButton label pending=action.pending() />
            </ActionForm>
        </section>
    }
}

/// Scanning the QR code (or typing the key) and confirming with a code.
#[component]
fn Enrol(
    enrolment: EnrolmentView,
    action: ServerAction<ConfirmTwoFactor>,
    feedback: Feedback,
) -> impl IntoView {
    view! {
        <Card name="enrol" title="Register a two-factor authenticator">
            <ol class="list-decimal space-y-4 pl-5 text-sm text-gray-800">
                <li>
                    "Scan this QR code with an authenticator app (for example FreeOTP, Aegis, Google Authenticator or 1Password):"
                    <div
                        role="img"
                        aria-label="QR code of your two-factor secret"
                        class="mt-2 mb-3 w-fit bg-white"
                        inner_html=enrolment.qr_svg.clone()
                    ></div>
                </li>
                <li>
                    "Or enter this key by hand (time-based, 6 digits, 30 seconds):"
                    <code
                        data-testid="manual-key"
                        class="mt-1 block w-fit rounded bg-gray-100 px-2 py-1 font-mono text-base tracking-wide text-gray-900"
                    >
                        {enrolment.manual_key.clone()}
                    </code>
                </li>
                <li>"Enter the six-digit code the app shows, to confirm it works:"</li>
            </ol>
            <FormMessages feedback />
            <ActionForm action attr:class="max-w-md space-y-4">
                <Field
                    label="Code from your app"
                    name="code"
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    clear_when=feedback.failed()
                    error=feedback.field("code")
                />
                <SubmitButton label="Register with two-factor app" pending=action.pending() />
            </ActionForm>
        </Card>
    }
}

/// New recovery codes, shown once, to copy or download.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let text = codes.join("\n");
    let download = format!("data:text/plain;charset=utf-8,{}", codes.join("%0A"));
    view! {
        <section
            role="status"
            aria-labelledby="codes-heading"
            data-testid="recovery-codes"
            class="space-y-3 rounded-lg border border-green-300 bg-green-50 p-4"
        >
            <h2 id="codes-heading" class="font-semibold text-green-900">
                "Your recovery codes"
            </h2>
            <p class="text-sm text-green-900">
                "If you lose your device, each of these codes signs you in once instead of a code from your app. "
                "Save them somewhere safe now: you won't be able to see them again."
            </p>
            <ul class="grid w-fit grid-cols-2 gap-x-8 gap-y-1 font-mono text-sm text-gray-900">
                {codes
                    .into_iter()
                    .map(|c| view! { <li data-testid="recovery-code">{c}</li> })
                    .collect_view()}
            </ul>
            <div class="flex gap-2">
                <a
                    href=download
                    download="forgekey-recovery-codes.txt"
                    class="rounded-md border border-gray-300 bg-white px-3 py-2 text-sm font-medium text-gray-900 hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                >
                    "Download codes"
                </a>
                <CopyButton text label="Copy codes" />
            </div>
        </section>
    }
}
