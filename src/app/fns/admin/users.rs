//! Admin Area → Users.

use super::{AdminUser, AppError, Page};
use leptos::server;

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_admin_users")]
pub async fn load_admin_users(search: String, page: i64) -> Result<Page<AdminUser>, AppError> {
    use crate::app::fns::ctx;
    use crate::server::db::users::UserFilter;
    use crate::server::services::accounts;
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = super::offset(page);
    let filter = UserFilter {
        search: Some(search),
        search_email: true,
        ..UserFilter::default()
    };
    let (users, total) = accounts::users_page(&state, &filter, offset, super::PER_PAGE).await?;
    Ok(Page {
        items: users.into_iter().map(super::admin_user).collect(),
        page,
        total,
        per_page: super::PER_PAGE,
    })
}
