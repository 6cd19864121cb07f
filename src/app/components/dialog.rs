//! The one confirmation step every destructive action goes through: a
//! modal with a title, what will happen, and a form whose button confirms
//! (a plain link cancels, so it works without JavaScript too).

use leptos::prelude::*;
use leptos_router::components::A;

/// A modal confirmation step. `children` is the form that confirms; its
/// buttons are usually [`confirm_buttons`].
///
/// A native `<dialog>`, rendered open by the server (over a dimmed page,
/// focus on Cancel) so that it works without JavaScript. With it, the
/// dialog becomes modal: the page behind it is inert, Escape cancels (as
/// the Cancel link does), and focus returns to the link that opened it.
/// On a phone it keeps a margin on both sides.
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
    let id = format!("{name}-dialog");
    // The address that shows this step is the one its opening link has.
    let location = leptos_router::hooks::use_location();
    // (The router's query string comes without its `?`.)
    let opened_by = match location.search.get_untracked() {
        query if query.is_empty() => location.pathname.get_untracked(),
        query => format!("{}?{query}", location.pathname.get_untracked()),
    };
    let dialog_id = id.clone();
    Effect::new(move || {
        use wasm_bindgen::JsCast;
        let dialog = document()
            .get_element_by_id(&dialog_id)
            .and_then(|d| d.dyn_into::<web_sys::HtmlDialogElement>().ok());
        if let Some(dialog) = dialog {
            dialog.close();
            let _ = dialog.show_modal();
        }
    });
    on_cleanup(move || return_focus(opened_by));
    let cancel = move |ev: leptos::ev::Event| {
        // Escape: leave as Cancel does, through the router.
        use wasm_bindgen::JsCast;
        ev.prevent_default();
        let link = ev
            .current_target()
            .and_then(|d| d.dyn_into::<web_sys::Element>().ok())
            .and_then(|d| d.query_selector("[data-dialog-cancel]").ok().flatten());
        if let Some(link) = link {
            link.unchecked_into::<web_sys::HtmlElement>().click();
        }
    };
    view! {
        <div class="fixed inset-0 z-40 bg-black/50" aria-hidden="true"></div>
        <dialog
            id=id
            open=true
            aria-labelledby=labelled_by
            aria-describedby=described_by
            data-testid=format!("{name}-dialog")
            on:cancel=cancel
            class="fixed inset-0 z-50 m-auto h-fit w-[calc(100%-2rem)] max-w-md space-y-4 rounded-lg bg-white p-6 text-gray-900 shadow-xl backdrop:bg-black/50"
        >
            <h2 id=heading class="text-lg font-semibold">
                {title}
            </h2>
            <p id=text_id class="text-sm text-gray-700">
                {text}
            </p>
            {children()}
        </dialog>
    }
}

/// Focuses the link to `href` once the page has settled after a dialog
/// closed: the one that opened it.
fn return_focus(href: String) {
    // Owners are cleaned up on the server too, where there is no page.
    #[cfg(not(feature = "hydrate"))]
    drop(href);
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let Ok(links) = document().query_selector_all("a[href]") else {
            return;
        };
        let opener = (0..links.length())
            .filter_map(|i| links.item(i))
            .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
            .find(|link| link.get_attribute("href").as_deref() == Some(href.as_str()));
        if let Some(opener) = opener {
            let _ = opener.focus();
        }
    });
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
            // Focus starts on the step that changes nothing.
            <A
                href=cancel
                attr:autofocus=true
                attr:data-dialog-cancel=""
                attr:class="rounded-md border border-gray-300 px-4 py-2 text-sm font-medium hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
            >
                "Cancel"
            </A>
            <button type="submit" disabled=move || pending.get() class=button>
                {label}
            </button>
        </div>
    }
}
