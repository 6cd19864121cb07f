//! Form building blocks that work the same with and without JavaScript.

use crate::app::error::AppError;
use crate::app::fns::FormFlash;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The feedback a form shows: its action's latest result when JavaScript
/// ran it, else the outcome a plain form post left in the session.
#[derive(Clone, Copy)]
pub struct Feedback {
    pub error: Signal<Option<AppError>>,
    pub notice: Signal<Option<String>>,
    /// True once JavaScript has run the action and it has answered.
    pub settled: Signal<bool>,
}

impl Feedback {
    pub fn new<S>(action: ServerAction<S>, flash: Option<FormFlash>) -> Self
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: ToNotice + Clone + Send + Sync + 'static,
    {
        let flash_error = flash.as_ref().and_then(|f| f.error.clone());
        let flash_notice = flash.as_ref().and_then(|f| f.notice.clone());
        let value = action.value();
        Self {
            error: Signal::derive(move || match value.get() {
                Some(Err(e)) => Some(e),
                Some(Ok(_)) => None,
                None => flash_error.clone(),
            }),
            notice: Signal::derive(move || match value.get() {
                Some(Ok(v)) => v.to_notice(),
                Some(Err(_)) => None,
                None => flash_notice.clone(),
            }),
            settled: Signal::derive(move || value.with(Option::is_some)),
        }
    }

    /// True while the form's latest outcome is an error.
    pub fn failed(self) -> Signal<bool> {
        let error = self.error;
        Signal::derive(move || error.with(Option::is_some))
    }

    pub fn field(self, name: &'static str) -> Signal<Option<String>> {
        let error = self.error;
        Signal::derive(move || error.get().and_then(|e| e.field(name)))
    }
}

/// What a successful result says to the person, if anything.
pub trait ToNotice {
    fn to_notice(&self) -> Option<String>;
}

impl ToNotice for () {
    fn to_notice(&self) -> Option<String> {
        None
    }
}

impl ToNotice for String {
    fn to_notice(&self) -> Option<String> {
        Some(self.clone())
    }
}

/// The banner above a form: the error (an alert), or the success notice
/// (in a status region that is always there). When an
/// answer names fields, focus moves to the first of them (or to what the
/// form asks to confirm), as it does on the page a refused plain form
/// post comes back to (`Field`'s `autofocus`).
#[component]
pub fn FormMessages(feedback: Feedback) -> impl IntoView {
    Effect::new(move || {
        let points_at_a_field = feedback.error.with(|e| {
            e.as_ref()
                .is_some_and(|e| e.has_fields() || e.asks_confirmation())
        });
        if feedback.settled.get() && points_at_a_field {
            request_animation_frame(move || {
                let first = document()
                    .query_selector("[aria-invalid=true], [data-confirm]")
                    .ok()
                    .flatten();
                if let Some(first) = first {
                    use wasm_bindgen::JsCast;
                    let _ = first.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            });
        }
    });
    view! {
        {move || {
            feedback
                .error
                .get()
                .filter(|e| !e.asks_confirmation())
                .map(|e| view! { <ErrorBox message=e.to_string() /> })
        }}
        // In the page before any notice, so that screen readers announce
        // one when it arrives (hidden while empty).
        <div role="status" class="empty:hidden">
            {move || {
                feedback
                    .notice
                    .get()
                    .map(|n| {
                        view! {
                            <div class="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-800">
                                {n}
                            </div>
                        }
                    })
            }}
        </div>
    }
}

/// A labelled input with its error message tied to it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    /// Tells apart fields of the same name on one page (their ids).
    #[prop(optional)]
    form_id: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "off")] autocomplete: &'static str,
    /// The browser insists on a value.
    #[prop(default = true)]
    required: bool,
    #[prop(optional, into)] hint: Option<String>,
    /// The keyboard a touch device shows, e.g. `numeric`.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
    /// Bounds of a date input, `YYYY-MM-DD`.
    #[prop(optional, into)]
    min: Option<String>,
    #[prop(optional, into)] max: Option<String>,
    /// Empties the input each time this turns (or stays) true, as a
    /// page reload would: a rejected password is not left in the form.
    #[prop(optional)]
    clear_when: Option<Signal<bool>>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    if let Some(clear) = clear_when {
        Effect::new(move || {
            if clear.get() {
                if let Some(el) = input.get_untracked() {
                    el.set_value("");
                }
            }
        });
    }
    let id = match form_id {
        Some(form) => format!("field-{form}-{name}"),
        None => format!("field-{name}"),
    };
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let has_hint = hint.is_some();
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-gray-900">
                {label}
            </label>
            <input
                node_ref=input
                id=id
                name=name
                type=kind
                value=value
                required=required
                // A refused plain form post comes back with its first
                // invalid field focused.
                autofocus=error.get_untracked().is_some()
                minlength=minlength
                maxlength=maxlength
                min=min
                max=max
                autocomplete=autocomplete
                inputmode=inputmode
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class=move || {
                    let base = "block w-full rounded-md border px-3 py-2 text-gray-900 shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
                    if error.get().is_some() {
                        format!("{base} border-red-500")
                    } else {
                        format!("{base} border-gray-300")
                    }
                }
            />
            {hint
                .map(|h| {
                    view! {
                        <p id=hint_id class="text-xs text-gray-600">
                            {h}
                        </p>
                    }
                })}
            <FieldError id=error_id error />
        </div>
    }
}

/// The look of a form's primary button.
pub const PRIMARY_BUTTON: &str = "inline-flex items-center justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:opacity-60";

/// The primary button of a form.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into, optional)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" disabled=move || pending.get() class=PRIMARY_BUTTON>
            {label}
        </button>
    }
}

/// An error for the whole page or form, announced to screen readers.
#[component]
pub fn ErrorBox(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div
            role="alert"
            class="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800"
        >
            {message}
        </div>
    }
}

/// A field's error, when there is one, under the `id` its input names in
/// `aria-describedby`.
#[component]
pub fn FieldError(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|m| {
            view! {
                <p id=id.clone() class="text-sm text-red-700">
                    {m}
                </p>
            }
        })
    }
}

/// A server function's arguments read from a submitted form's fields by
/// name: `fields(name)` gives every value sent under it.
pub trait FormArgs: Sized {
    /// `None` when the fields cannot make the arguments: the browser then
    /// posts the form itself, and the server answers as it does without
    /// JavaScript.
    fn from_fields(fields: &dyn Fn(&str) -> Vec<String>) -> Option<Self>;
}

/// The first value sent under `name`, if any.
pub fn first(fields: &dyn Fn(&str) -> Vec<String>, name: &str) -> Option<String> {
    fields(name).into_iter().next()
}

/// leptos' `ActionForm`, reading the fields through [`FormArgs`] instead
/// of serde_qs: the forms on every page (the user menu's Sign out) and on
/// Access Tokens are in the main WebAssembly file, which then carries no
/// query-string parser at all. The same form posts without JavaScript.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    #[prop(optional)] node_ref: Option<NodeRef<leptos::html::Form>>,
    children: Children,
) -> impl IntoView
where
    S: FormArgs + ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let data = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
                .and_then(|form| web_sys::FormData::new_with_form(&form).ok());
            let Some(data) = data else {
                return;
            };
            let fields = |name: &str| -> Vec<String> {
                let all = data.get_all(name);
                (0..all.length())
                    .filter_map(|i| all.get(i).as_string())
                    .collect()
            };
            if let Some(args) = S::from_fields(&fields) {
                ev.prevent_default();
                action.dispatch(args);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = action;
    };
    let form = leptos::html::form()
        .action(S::url())
        .method("post")
        .on(leptos::ev::submit, on_submit)
        .child(children());
    match node_ref {
        Some(node_ref) => form.node_ref(node_ref).into_any(),
        None => form.into_any(),
    }
}
