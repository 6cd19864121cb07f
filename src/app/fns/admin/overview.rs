//! Admin Area → Overview.

use super::{AppError, AuditLine};
use crate::domain::settings::Settings;
use leptos::server;
use serde::{Deserialize, Serialize};

/// The Admin Area's first page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub users: i64,
    pub settings: Settings,
    pub recent: Vec<AuditLine>,
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_admin_overview")]
pub async fn load_admin_overview() -> Result<Overview, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::{accounts, audit, settings};
    let (state, _session, _admin) = ctx::admin().await?;
    let (_, users) = accounts::users_page(&state, &Default::default(), 0, 1).await?;
    let (recent, _) = audit::list(&state, &audit::Filter::default(), 0, 5).await?;
    Ok(Overview {
        users,
        settings: settings::current(&state).await?,
        recent: recent.into_iter().map(super::audit::audit_line).collect(),
    })
}
