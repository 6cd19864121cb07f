//! Admin Area → Settings: the token lifetime policy and the other
//! instance settings.

use super::{admin_mode_entered, failed, AdminLayout, LOADING};
use crate::app::components::form::{Feedback, Field, FormMessages, PRIMARY_BUTTON};
use crate::app::error::AppError;
use crate::app::fns::admin::{
    load_admin_settings, load_registry_settings, SaveAdminSettings, SaveRegistrySettings,
};
use crate::app::fns::take_flash;
use crate::domain::registry::RegistrySettings;
use crate::domain::settings::{MAX_LIFETIME_DAYS_RANGE, RETENTION_DAYS_RANGE, UNUSED_DAYS_RANGE};
use leptos::prelude::*;
use leptos_meta::Title;

/// A ticked-when-present checkbox with its explanation.
#[component]
fn Toggle(
    label: &'static str,
    name: &'static str,
    checked: bool,
    hint: &'static str,
) -> impl IntoView {
    let id = format!("setting-{name}");
    view! {
        <div class="flex items-start gap-3">
            <input
                id=id.clone()
                type="checkbox"
                name=name
                value="on"
                checked=checked
                aria-describedby=format!("{id}-hint")
                class="mt-1 h-4 w-4 shrink-0 rounded border-gray-300 text-indigo-600 focus:ring-2 focus:ring-indigo-500"
            />
            <div>
                <label for=id.clone() class="text-sm font-medium text-gray-900">
                    {label}
                </label>
                <p id=format!("{id}-hint") class="text-sm text-gray-600">
                    {hint}
                </p>
            </div>
        </div>
    }
}

/// The container registry: on or off, and where clients reach it. A form
/// of its own (saving it leaves the other settings alone).
#[component]
fn RegistryForm(
    action: ServerAction<SaveRegistrySettings>,
    stored: RegistrySettings,
    flash: Option<crate::app::fns::FormFlash>,
) -> impl IntoView {
    let feedback = Feedback::new(action, flash.clone());
    let refused = flash.filter(|f| f.error.is_some());
    let enabled = refused
        .as_ref()
        .and_then(|f| f.value("enabled"))
        .map_or(stored.enabled, |v| v == "on");
    let host = refused
        .as_ref()
        .and_then(|f| f.value("host"))
        .unwrap_or(stored.host);
    view! {
        <section class="mt-8 max-w-2xl space-y-4">
            <FormMessages feedback />
            <ActionForm
                action
                attr:class="space-y-5 rounded-lg border border-gray-200 bg-white p-6"
                attr:aria-labelledby="registry-heading"
            >
                <h2 id="registry-heading" class="text-lg font-semibold">
                    "Container registry"
                </h2>
                <Toggle
                    label="Enable the container registry"
                    name="enabled"
                    checked=enabled
                    hint="Forgekey becomes the registry's token server: docker, podman and skopeo log in with a username and a personal access token, and new tokens may have the read_registry and write_registry scopes. Forgekey starts the registry (Debian's docker-registry) unless it runs with --external-registry."
                />
                <Field
                    label="Registry address"
                    name="host"
                    value=host
                    required=false
                    error=feedback.field("host")
                    hint="The host, or host:port, clients name images by: registry.example.com, or 127.0.0.1:5050 for the registry Forgekey starts by default."
                />
                <button type="submit" disabled=move || action.pending().get() class=PRIMARY_BUTTON>
                    "Save registry settings"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AdminSettings() -> impl IntoView {
    let save = ServerAction::<SaveAdminSettings>::new();
    // Reload after a successful save only: a refused form keeps what was
    // typed (and the confirmation it asks for).
    let (saved, set_saved) = signal(0u32);
    Effect::new(move || {
        if matches!(save.value().get(), Some(Ok(_))) {
            set_saved.update(|n| *n += 1);
        }
    });
    let page = Resource::new(
        move || (saved.get(), admin_mode_entered()),
        |_| load_admin_settings(),
    );
    let flash = Resource::new(|| (), |_| take_flash("save_admin_settings".to_owned()));
    let save_registry = ServerAction::<SaveRegistrySettings>::new();
    let registry = Resource::new(
        move || (save_registry.version().get(), admin_mode_entered()),
        |_| load_registry_settings(),
    );
    let registry_flash = Resource::new(|| (), |_| take_flash("save_registry_settings".to_owned()));
    view! {
        <Title text="Settings · Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                let flash = flash.await.ok().flatten();
                let registry_flash = registry_flash.await.ok().flatten();
                match (page.await, registry.await) {
                    (Err(e), _) | (_, Err(e)) => failed(e),
                    (Ok(s), Ok(registry)) => {
                        let registry_form = view! {
                            <RegistryForm
                                action=save_registry
                                stored=registry
                                flash=registry_flash
                            />
                        };
                        let feedback = Feedback::new(save, flash.clone());
                        let refused = flash.filter(|f| f.error.is_some());
                        let typed = move |name: &str| refused.as_ref().and_then(|f| f.value(name));
                        let number = |name: &str, stored: i64| {
                            typed(name).unwrap_or_else(|| stored.to_string())
                        };
                        let flag = |name: &str, stored: bool| {
                            typed(name).map_or(stored, |v| v == "on")
                        };
                        let max_days = number("token_max_lifetime_days", s.token_max_lifetime_days);
                        let retention = number(
                            "revoked_token_retention_days",
                            s.revoked_token_retention_days,
                        );
                        let unused = number("unused_token_revoke_days", s.unused_token_revoke_days);
                        let enforced = flag("token_expiry_enforced", s.token_expiry_enforced);
                        let required = flag("token_expiry_required", s.token_expiry_required);
                        let admin_mode = flag("admin_mode", s.admin_mode);
                        let git_password = flag("git_password_auth", s.git_password_auth);
                        let username_match = flag(
                            "git_token_username_match",
                            s.git_token_username_match,
                        );
                        let revocations = move || {
                            feedback
                                .error
                                .get()
                                .and_then(|e| match e {
                                    AppError::ConfirmRevocations { tokens, .. } => {
                                        Some((e.to_string(), tokens))
                                    }
                                    _ => None,
                                })
                        };
                        // Saving would revoke tokens: asked beside the limit.
                        // What a refused plain form post typed, else what is stored.
                        view! {
                            <AdminLayout title="Settings">
                                <FormMessages feedback />
                                <ActionForm action=save attr:class="max-w-2xl space-y-8">
                                    <fieldset class="space-y-5 rounded-lg border border-gray-200 bg-white p-6">
                                        <legend class="px-1 text-lg font-semibold">
                                            "Personal access tokens"
                                        </legend>
                                        <Field
                                            label="Maximum allowable lifetime (days)"
                                            name="token_max_lifetime_days"
                                            kind="number"
                                            value=max_days
                                            min=MAX_LIFETIME_DAYS_RANGE.start().to_string()
                                            max=MAX_LIFETIME_DAYS_RANGE.end().to_string()
                                            inputmode="numeric"
                                            error=feedback.field("token_max_lifetime_days")
                                            hint=format!(
                                                "From {} to {}. New tokens expire at most this many days from today. Lowering it revokes tokens that expire later, and mails their owners.",
                                                MAX_LIFETIME_DAYS_RANGE.start(),
                                                MAX_LIFETIME_DAYS_RANGE.end(),
                                            )
                                        />
                                        {move || {
                                            revocations()
                                                .map(|(message, _)| {
                                                    view! {
                                                        <div class="flex items-start gap-3 rounded-md border border-amber-300 bg-amber-50 p-4">
                                                            <input
                                                                id="setting-confirm"
                                                                type="checkbox"
                                                                name="confirm"
                                                                value="yes"
                                                                required=true
                                                                autofocus=true
                                                                data-confirm=""
                                                                class="mt-1 h-4 w-4 shrink-0 rounded border-gray-300 text-amber-700 focus:ring-2 focus:ring-amber-500"
                                                            />
                                                            <label for="setting-confirm" class="text-sm text-amber-900">
                                                                {message}
                                                                " Tick to confirm."
                                                            </label>
                                                        </div>
                                                    }
                                                })
                                        }}
                                        <Toggle
                                            label="Require an expiration date"
                                            name="token_expiry_required"
                                            checked=required
                                            hint="When off, new tokens may have no expiration date (lowering the limit still revokes them)."
                                        />
                                        <Toggle
                                            label="Enforce token expiration"
                                            name="token_expiry_enforced"
                                            checked=enforced
                                            hint="When off, expired tokens keep working (their pages say so)."
                                        />
                                        <Field
                                            label="Keep revoked tokens for (days)"
                                            name="revoked_token_retention_days"
                                            kind="number"
                                            value=retention
                                            min=RETENTION_DAYS_RANGE.start().to_string()
                                            max=RETENTION_DAYS_RANGE.end().to_string()
                                            inputmode="numeric"
                                            error=feedback.field("revoked_token_retention_days")
                                            hint="Until then an administrator can unrevoke them; a daily job deletes them afterwards."
                                        />
                                        <Field
                                            label="Revoke tokens unused for (days)"
                                            name="unused_token_revoke_days"
                                            kind="number"
                                            value=unused
                                            min="0"
                                            max=UNUSED_DAYS_RANGE.end().to_string()
                                            inputmode="numeric"
                                            error=feedback.field("unused_token_revoke_days")
                                            hint=format!(
                                                "0: never. Otherwise {} days or more: owners are mailed a week before, and a token used meanwhile is kept.",
                                                UNUSED_DAYS_RANGE.start(),
                                            )
                                        />
                                    </fieldset>
                                    <fieldset class="space-y-5 rounded-lg border border-gray-200 bg-white p-6">
                                        <legend class="px-1 text-lg font-semibold">
                                            "Sign-in and Git"
                                        </legend>
                                        <Toggle
                                            label="Admin mode"
                                            name="admin_mode"
                                            checked=admin_mode
                                            hint="Administrators' tokens act as administrators only with the admin_mode scope."
                                        />
                                        <Toggle
                                            label="Allow password authentication for Git over HTTP"
                                            name="git_password_auth"
                                            checked=git_password
                                            hint="Users without two-factor authentication may use their password with Git. When off, Git needs a personal access token."
                                        />
                                        <Toggle
                                            label="Git username must match the token's owner"
                                            name="git_token_username_match"
                                            checked=username_match
                                            hint="When off, any username works with a personal access token as the password."
                                        />
                                    </fieldset>
                                    <button
                                        type="submit"
                                        disabled=move || save.pending().get()
                                        class=PRIMARY_BUTTON
                                    >
                                        {move || match revocations() {
                                            Some((_, 1)) => "Revoke 1 token and save".to_owned(),
                                            Some((_, n)) => format!("Revoke {n} tokens and save"),
                                            None => "Save changes".to_owned(),
                                        }}
                                    </button>
                                </ActionForm>
                                {registry_form}
                            </AdminLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
