#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![recursion_limit = "256"]
#![doc = "Forgekey: self-hosted accounts, two-factor authentication and personal access tokens."]

pub mod app;
pub mod domain;
pub mod paths;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous hydration: a page split out of the main file (a lazy
    // route) is fetched before its part of the page is hydrated.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    leptos::task::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Lets browser tests wait until the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
