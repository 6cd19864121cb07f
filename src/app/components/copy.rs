//! A button that copies a one-time secret to the clipboard. It appears
//! only once the page is interactive: without JavaScript the field selects
//! itself instead (`paths::SELECT_ON_FOCUS`) and codes can be downloaded.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Idle,
    Copied,
    Refused,
}

/// "Copy …", then whether it worked, said on the button and in a status
/// region screen readers announce. The clipboard API exists only on secure
/// origins (HTTPS, localhost): elsewhere, such as an instance on plain
/// HTTP inside a company network, the browser's copy command does it.
#[component]
pub fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));
    let (outcome, set_outcome) = signal(Outcome::Idle);
    let copy = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast;
        let text = text.clone();
        let button = ev
            .current_target()
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
        leptos::task::spawn_local(async move {
            let copied = copy_text(&text).await;
            set_outcome.set(if copied {
                Outcome::Copied
            } else {
                Outcome::Refused
            });
            // The fallback's selection moved focus away: bring it back.
            if let Some(button) = button {
                let _ = button.focus();
            }
        });
    };
    move || {
        hydrated.get().then(|| {
            view! {
                <div class="flex shrink-0 flex-col items-end gap-1">
                    <button
                        type="button"
                        on:click=copy.clone()
                        class="rounded-md border border-gray-300 bg-white px-3 py-2 text-sm font-medium text-gray-900 hover:bg-gray-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    >
                        {move || if outcome.get() == Outcome::Copied { "Copied" } else { label }}
                    </button>
                    <p role="status" data-testid="copy-status" class="max-w-48 text-right text-xs">
                        {move || match outcome.get() {
                            Outcome::Idle => "",
                            Outcome::Copied => "Copied to the clipboard.",
                            Outcome::Refused => {
                                "The browser refused to copy: select the text and press Ctrl+C (⌘C on a Mac)."
                            }
                        }}
                    </p>
                </div>
            }
        })
    }
}

/// Puts `text` on the clipboard: the clipboard API where the origin is
/// secure, else (or if it refuses) a selected, invisible text area and the
/// copy command. Whether it worked.
async fn copy_text(text: &str) -> bool {
    let window = window();
    if window.is_secure_context() {
        let written = window.navigator().clipboard().write_text(text);
        if wasm_bindgen_futures::JsFuture::from(written).await.is_ok() {
            return true;
        }
    }
    copy_by_selection(text)
}

fn copy_by_selection(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let document = document();
    let (Ok(area), Some(body)) = (document.create_element("textarea"), document.body()) else {
        return false;
    };
    let area: web_sys::HtmlTextAreaElement = area.unchecked_into();
    area.set_value(text);
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("aria-hidden", "true");
    let _ = area.set_attribute("style", "position:fixed;top:0;left:0;opacity:0");
    if body.append_child(&area).is_err() {
        return false;
    }
    area.select();
    let copied = document
        .unchecked_ref::<web_sys::HtmlDocument>()
        .exec_command("copy")
        .unwrap_or(false);
    area.remove();
    copied
}
