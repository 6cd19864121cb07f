//! Where keyboard focus goes after a page changes without a page load.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// After the app moves to another page, focus goes to its heading, as it
/// starts at the top of a loaded page: screen readers announce where the
/// person is, and Tab continues from there. A page that focused one of its
/// fields itself keeps that. Renders nothing.
#[component]
pub fn FocusHeadingOnNavigation() -> impl IntoView {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            focus_heading(FRAMES_TO_WAIT);
        }
        path
    });
}

/// A lazily loaded or still loading page shows its heading a little later:
/// look again on the next frames, about a second in all.
const FRAMES_TO_WAIT: u32 = 60;

fn focus_heading(frames_left: u32) {
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let document = document();
        let typing = document
            .active_element()
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        match document.query_selector("main h1").ok().flatten() {
            Some(heading) => {
                let _ = heading.set_attribute("tabindex", "-1");
                let _ = heading.unchecked_into::<web_sys::HtmlElement>().focus();
            }
            None if frames_left > 0 => focus_heading(frames_left - 1),
            None => {}
        }
    });
}

/// Focuses the element with this id, if the page has it. (Elements are
/// found by id rather than through `NodeRef`s: each kind of `NodeRef`
/// costs the WebAssembly file its own copy of the reactive machinery.)
pub fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    let element = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

/// The `<details>` element with this id, if the page has it.
pub fn details_by_id(id: &str) -> Option<web_sys::HtmlDetailsElement> {
    use wasm_bindgen::JsCast;
    document().get_element_by_id(id)?.dyn_into().ok()
}
