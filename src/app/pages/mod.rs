pub mod admin;
pub mod home;
pub mod not_found;
pub mod password;
pub mod projects;
pub mod second_step;
pub mod settings;
pub mod sign_in;
pub mod sign_up;

use crate::app::components::form::ErrorBox;
use crate::app::error::AppError;
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
                        Ok(None) | Err(AppError::Unauthenticated) => {
                            view! { <Redirect path=paths::SIGN_IN /> }.into_any()
                        }
                        Err(other) => {
                            // Not known (the database is unavailable…): say so,
                            // rather than send a signed-in user to sign in.
                            view! {
                                <div class="mx-auto mt-8 max-w-xl px-4">
                                    <ErrorBox message=other.to_string() />
                                </div>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}
