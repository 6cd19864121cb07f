//! A button that copies a one-time secret to the clipboard. It appears
//! only once the page is interactive: without JavaScript the field selects
//! itself instead (`paths::SELECT_ON_FOCUS`) and codes can be downloaded.

use leptos::prelude::*;

/// "Copy …", then "Copied" once the text is on the clipboard.
#[component]
pub fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&text);
        set_copied.set(true);
    };
    move || {
        hydrated.get().then(|| {
            view! {
                <button
                    type="button"
                    on:click=copy.clone()
                    class="shrink-0 rounded-md border border-gray-300 bg-white px-3 py-2 text-sm font-medium text-gray-900 hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                >
                    {move || if copied.get() { "Copied" } else { label }}
                </button>
            }
        })
    }
}
