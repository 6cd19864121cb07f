//! The signed-in user's own account.

use super::AppError;
use leptos::server;

pub const PASSWORD_CHANGED: &str =
    "Password was successfully updated. Your other sessions were signed out.";

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    password_confirmation: String,
) -> Result<String, AppError> {
    use super::ctx;
    use crate::server::{services::accounts, session};
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        let user = accounts::change_password(
            &state,
            user.id,
            &current_password,
            &new_password,
            &password_confirmation,
        )
        .await?;
        session::adopt_epoch(&session, &user).await?;
        Ok::<_, AppError>(PASSWORD_CHANGED.to_owned())
    }
    .await;
    ctx::finish("change_password", &[], Some(PASSWORD_CHANGED), result).await
}
