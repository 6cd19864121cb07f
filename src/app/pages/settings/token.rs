//! One of the user's tokens on a page of its own: its description edited,
//! or a new secret in place of the old one (Rotate). Loaded on demand:
//! the Access Tokens page links here and carries none of it.

use crate::app::components::form::{
    ErrorBox, Feedback, Field, FieldError, FormMessages, SubmitButton,
};
use crate::app::components::layout::SettingsLayout;
use crate::app::components::tokens::{ExpiryField, OneTimeSecret, ScopeCheckboxes};
use crate::app::error::AppError;
use crate::app::fns::tokens::{load_token, EditToken, RotateToken, TokenPage};
use crate::app::fns::{take_flash, FormFlash};
use crate::app::pages::signed_in_only;
use crate::domain::ids::TokenId;
use crate::domain::instant;
use crate::domain::token::{DESCRIPTION_MAX, NAME_MAX, ROTATION_OVERLAP_CHOICES};
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

const CANCEL: &str = "rounded-md border border-gray-300 px-4 py-2 text-sm font-medium text-gray-800 hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";

/// The token the address names (`…/personal_access_tokens/:id/…`).
fn token_resource() -> Resource<Result<TokenPage, AppError>> {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<TokenId>().ok()));
    Resource::new(id, |id| async move {
        match id {
            Some(id) => load_token(id).await,
            None => Err(AppError::NotFound),
        }
    })
}

/// What the page says about the token before its form.
fn summary(page: &TokenPage) -> impl IntoView {
    let t = &page.token;
    let scopes = t
        .scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let expires = t
        .expires_at
        .map_or_else(|| "Never".to_owned(), instant::date);
    let last_used = match t.last_used_at {
        None => "Never".to_owned(),
        Some(at) if t.last_used_ips.is_empty() => instant::relative(page.now, at),
        Some(at) => format!(
            "{}, from {}",
            instant::relative(page.now, at),
            t.last_used_ips.join(", ")
        ),
    };
    let row = |term: &'static str, value: String| {
        view! {
            <div class="sm:flex sm:gap-4">
                <dt class="font-medium text-gray-700 sm:w-32">{term}</dt>
                <dd class="text-gray-900 wrap-anywhere">{value}</dd>
            </div>
        }
    };
    view! {
        <dl class="space-y-1 text-sm" data-testid="token-summary">
            {row("Token name", t.name.clone())}
            {row("Scopes", scopes)}
            {row("Created", instant::date(t.created_at))}
            {row("Last used", last_used)}
            {row("Expires", expires)}
        </dl>
    }
}

fn back_link() -> impl IntoView {
    view! {
        <A href=paths::TOKENS attr:class="text-sm font-medium text-indigo-700 hover:underline">
            "← Personal access tokens"
        </A>
    }
}

/// The page's body once its token has loaded: `form` for a token that
/// can still change, a notice for one that cannot.
fn token_body<F, V>(
    page: Resource<Result<TokenPage, AppError>>,
    // What a refused plain form post left for the page: awaited with the
    // token, so that the server renders the form with it.
    flash: Resource<Result<Option<FormFlash>, AppError>>,
    form: F,
) -> impl IntoView
where
    F: Fn(TokenPage, Option<FormFlash>) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    signed_in_only(move |_user| {
        let form = form.clone();
        view! {
            <div class="space-y-6">
                {back_link()}
                <Transition fallback=|| {
                    view! { <p class="text-sm text-gray-600">"Loading…"</p> }
                }>
                    {move || {
                        let form = form.clone();
                        Suspend::new(async move {
                            let flash = flash.await.ok().flatten();
                            match page.await {
                                Err(e) => view! { <ErrorBox message=e.to_string() /> }.into_any(),
                                Ok(p) if !p.token.state(p.now).is_active() => {
                                    view! {
                                        {summary(&p)}
                                        <ErrorBox message="This token is no longer active: it was revoked or has expired. Create a new token instead." />
                                    }
                                        .into_any()
                                }
                                Ok(p) => {
                                    view! {
                                        {summary(&p)}
                                        {form(p, flash)}
                                    }
                                        .into_any()
                                }
                            }
                        })
                    }}
                </Transition>
            </div>
        }
    })
}

/// Edit a token in place: its name, description and expiry; its scopes and
/// allowed addresses only narrowed (more access needs a new token).
#[component]
pub fn EditToken() -> impl IntoView {
    let edit = ServerAction::<EditToken>::new();
    // Back to the list, which shows the token as saved.
    Effect::new(move || {
        if matches!(edit.value().get(), Some(Ok(_))) {
            use_navigate()(paths::TOKENS, Default::default());
        }
    });
    let page = token_resource();
    let flash = Resource::new(|| (), |_| take_flash("edit_token".to_owned()));
    let form = move |p: TokenPage, flash: Option<FormFlash>| {
        let typed = |name: &str| flash.as_ref().and_then(|f| f.value(name));
        let t = p.token;
        let name = typed("name").unwrap_or(t.name);
        let description = typed("description").or(t.description).unwrap_or_default();
        let expires = typed("expires_at").or_else(|| {
            Some(t.expires_at.map_or_else(String::new, |at| {
                crate::domain::lifetime::iso(instant::date_of(at))
            }))
        });
        let allowed_ips = typed("allowed_ips").unwrap_or_else(|| t.allowed_ips.join(", "));
        let projects = typed("projects").unwrap_or_else(|| t.projects.join(", "));
        let selected: Vec<String> = match &flash {
            Some(f) => f
                .values
                .iter()
                .filter(|(n, _)| n == "scopes[]")
                .map(|(_, v)| v.clone())
                .collect(),
            None => t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        };
        let feedback = Feedback::new(edit, flash);
        view! {
            <p class="max-w-2xl text-sm text-gray-700">
                "Scopes, projects and allowed addresses can only be narrowed here: for more access, create a new token."
            </p>
            <FormMessages feedback />
            <ActionForm action=edit attr:class="max-w-2xl space-y-5">
                <input type="hidden" name="id" value=t.id.to_string() />
                <Field
                    label="Token name"
                    name="name"
                    value=name
                    error=feedback.field("name")
                    maxlength=NAME_MAX as u32
                />
                <Field
                    label="Description"
                    name="description"
                    value=description
                    error=feedback.field("description")
                    maxlength=DESCRIPTION_MAX as u32
                    required=false
                    hint="What the token is for, shown in the list. Leave it empty for none."
                />
                <ExpiryField bounds=p.expiry typed=expires error=feedback.field("expires_at") />
                <Field
                    label="Allowed IP addresses"
                    name="allowed_ips"
                    value=allowed_ips
                    error=feedback.field("allowed_ips")
                    required=false
                    hint="Addresses or CIDR ranges within those allowed now, separated by commas. Empty: anywhere (only if it is so now)."
                />
                <Field
                    label="Projects"
                    name="projects"
                    value=projects
                    error=feedback.field("projects")
                    required=false
                    hint="Project paths within those it reaches now, separated by commas. Empty: every project (only if it is so now)."
                />
                <ScopeCheckboxes choices=t.scopes selected error=feedback.field("scopes") />
                <div class="flex flex-wrap gap-3">
                    <SubmitButton label="Save changes" pending=edit.pending() />
                    <A href=paths::TOKENS attr:class=CANCEL>
                        "Cancel"
                    </A>
                </div>
            </ActionForm>
        }
    };
    view! {
        <Title text="Edit personal access token" />
        <SettingsLayout title="Edit personal access token">
            {token_body(page, flash, form)}
        </SettingsLayout>
    }
}

/// Rotate a token: a new secret with the same name, description and
/// scopes, and the expiry date asked for; the old secret stops working.
#[component]
pub fn RotateToken() -> impl IntoView {
    let rotate = ServerAction::<RotateToken>::new();
    let page = token_resource();
    let flash = Resource::new(|| (), |_| take_flash("rotate_token".to_owned()));
    let form = move |p: TokenPage, flash: Option<FormFlash>| {
        let typed = flash.as_ref().and_then(|f| f.value("expires_at"));
        let typed_overlap = flash.as_ref().and_then(|f| f.value("overlap_minutes"));
        let feedback = Feedback::new(rotate, flash);
        let name = p.token.name.clone();
        let id = p.token.id.to_string();
        let bounds = p.expiry;
        move || match rotate.value().get() {
            Some(Ok(created)) => view! {
                <OneTimeSecret created />
                {back_link()}
            }
            .into_any(),
            _ => {
                let (id, bounds, typed) = (id.clone(), bounds.clone(), typed.clone());
                let typed_overlap = typed_overlap.clone();
                view! {
                    <p class="max-w-2xl text-sm text-gray-700">
                        {format!(
                            "Rotating “{name}” makes a new secret with the same name, description, scopes and allowed addresses. The current secret stops working at once, or after the overlap you choose: update every script and application that uses it.",
                        )}
                    </p>
                    <FormMessages feedback />
                    <ActionForm action=rotate attr:class="max-w-2xl space-y-5">
                        <input type="hidden" name="id" value=id />
                        <ExpiryField bounds typed error=feedback.field("expires_at") />
                        <OverlapField
                            typed=typed_overlap.clone()
                            error=feedback.field("overlap_minutes")
                        />
                        <div class="flex flex-wrap gap-3">
                            <SubmitButton label="Rotate token" pending=rotate.pending() />
                            <A href=paths::TOKENS attr:class=CANCEL>
                                "Cancel"
                            </A>
                        </div>
                    </ActionForm>
                }
                        .into_any()
            }
        }
    };
    view! {
        <Title text="Rotate personal access token" />
        <SettingsLayout title="Rotate personal access token">
            {token_body(page, flash, form)}
        </SettingsLayout>
    }
}

/// How long the old secret keeps working beside the new one: a fleet can
/// roll over without an outage (none by default, as in GitLab).
#[component]
fn OverlapField(
    typed: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let options = ROTATION_OVERLAP_CHOICES
        .into_iter()
        .map(|(minutes, label)| {
            let value = minutes.to_string();
            let selected = typed.as_deref().unwrap_or("0") == value;
            view! {
                <option value=value selected=selected>
                    {label}
                </option>
            }
        })
        .collect_view();
    view! {
        <div>
            <label for="field-overlap_minutes" class="block text-sm font-medium text-gray-900">
                "Keep the old secret working for"
            </label>
            <select
                id="field-overlap_minutes"
                name="overlap_minutes"
                aria-describedby="field-overlap_minutes-hint"
                aria-invalid=move || error.get().is_some().then_some("true")
                class="mt-1 block w-full rounded-md border border-gray-300 bg-white px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
            >
                {options}
            </select>
            <p id="field-overlap_minutes-hint" class="mt-1 text-xs text-gray-600">
                "Both secrets work until then; afterwards the old one is refused, and using it to rotate revokes the new one too."
            </p>
            <FieldError id="field-overlap_minutes-error".to_owned() error />
        </div>
    }
}
