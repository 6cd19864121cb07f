//! The one confirmation step every destructive action goes through: a
//! modal with a title, what will happen, and a form whose button confirms
//! (a plain link cancels, so it works without JavaScript too).

use leptos::prelude::*;
use leptos_router::components::A;

/// A modal confirmation step. `children` is the form that confirms; its
/// buttons are usually [`confirm_buttons`].
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    /// Names the dialog for tests and its heading's ids.
    #[prop(default = "confirm")]
    name: &'static str,
    children: Children,
) -> impl IntoView {
    let (heading, text_id) = (format!("{name}-heading"), format!("{name}-text"));
    let (labelled_by, described_by) = (heading.clone(), text_id.clone());
    view! {
        <div class="fixed inset-0 z-40 flex items-center justify-center bg-gray-900/50 p-4">
            <div
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                aria-describedby=described_by
                data-testid=format!("{name}-dialog")
                class="w-full max-w-md space-y-4 rounded-lg bg-white p-6 shadow-xl"
            >
                <h2 id=heading class="text-lg font-semibold">
                    {title}
                </h2>
                <p id=text_id class="text-sm text-gray-700">
                    {text}
                </p>
                {children()}
            </div>
        </div>
    }
}

/// The Cancel link (back to `cancel`) and the confirming button of a
/// dialog's form, disabled while `pending`.
pub fn confirm_buttons(
    cancel: String,
    label: &'static str,
    danger: bool,
    pending: Signal<bool>,
) -> impl IntoView {
    let button = if danger {
        "rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white hover:bg-red-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2"
    } else {
        "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
    };
    view! {
        <div class="flex justify-end gap-3">
            <A
                href=cancel
                attr:class="rounded-md border border-gray-300 px-4 py-2 text-sm font-medium hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
            >
                "Cancel"
            </A>
            <button type="submit" autofocus=true disabled=move || pending.get() class=button>
                {label}
            </button>
        </div>
    }
}
