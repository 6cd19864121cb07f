pub mod admin;
pub mod home;
pub mod not_found;
pub mod projects;
pub mod second_step;
pub mod settings;
pub mod sign_in;
pub mod sign_up;

use crate::app::fns::CurrentUser;
use crate::app::use_current_user;
use crate::paths;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Renders `view` for the signed-in user; anyone else is sent to sign in.
/// (This only hides UI: every server function checks the session itself.)
pub fn signed_in_only<V: IntoView + 'static>(
    view: impl Fn(CurrentUser) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let user = use_current_user();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let view = view.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view(user).into_any(),
                        _ => view! { <Redirect path=paths::SIGN_IN /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
