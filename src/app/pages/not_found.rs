use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="mx-auto max-w-xl px-4 py-16 text-center">
            <h1 class="text-3xl font-semibold">"404: Page not found"</h1>
            <p class="mt-4 text-gray-700">
                "The page you were looking for doesn't exist, or you don't have access to it."
            </p>
            <a href="/" class="mt-6 inline-block text-indigo-700 underline">
                "Go to the start page"
            </a>
        </div>
    }
}
