//! The audit log of administrators' actions.

use super::{Conditions, Db};
use crate::domain::ids::{TokenId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One recorded action. Names are copies taken when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub created_at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub action: String,
    pub target_user_id: Option<UserId>,
    pub target_name: Option<String>,
    pub token_id: Option<TokenId>,
    pub token_name: Option<String>,
    pub details: String,
    /// Whom the actor acted as, and how ("sudo", "impersonation").
    pub acted_as_id: Option<UserId>,
    pub acted_as_name: Option<String>,
    pub acted_via: Option<String>,
    /// The client address the action came from.
    pub ip_address: Option<String>,
}

pub struct NewAuditEvent<'a> {
    pub created_at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target_user_id: Option<UserId>,
    pub target_name: Option<&'a str>,
    pub token_id: Option<TokenId>,
    pub token_name: Option<&'a str>,
    pub details: &'a str,
    pub acted_as_id: Option<UserId>,
    pub acted_as_name: Option<&'a str>,
    pub acted_via: Option<&'a str>,
    pub ip_address: Option<&'a str>,
}

const COLUMNS: &str = "id, created_at, actor_id, actor_name, action, target_user_id, \
                       target_name, token_id, token_name, details, acted_as_id, acted_as_name, \
                       acted_via, ip_address";

fn from_row(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        action: row.try_get("action")?,
        target_user_id: row.try_get("target_user_id")?,
        target_name: row.try_get("target_name")?,
        token_id: row.try_get("token_id")?,
        token_name: row.try_get("token_name")?,
        details: row.try_get("details")?,
        acted_as_id: row.try_get("acted_as_id")?,
        acted_as_name: row.try_get("acted_as_name")?,
        acted_via: row.try_get("acted_via")?,
        ip_address: row.try_get("ip_address")?,
    })
}

/// Records an event, through any executor: in the transaction of the
/// change it records, so the two are written together or not at all.
pub async fn insert<'e, E>(executor: E, e: &NewAuditEvent<'_>) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (created_at, actor_id, actor_name, action, target_user_id, \
         target_name, token_id, token_name, details, acted_as_id, acted_as_name, acted_via, \
         ip_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(e.created_at)
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.action)
    .bind(e.target_user_id)
    .bind(e.target_name)
    .bind(e.token_id)
    .bind(e.token_name)
    .bind(e.details)
    .bind(e.acted_as_id)
    .bind(e.acted_as_name)
    .bind(e.acted_via)
    .bind(e.ip_address)
    .execute(executor)
    .await?;
    Ok(())
}

/// Which events to list; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Events about this user.
    pub target_user_id: Option<UserId>,
    /// By this actor (name, any case).
    pub actor: Option<String>,
    /// About this user (name, any case).
    pub target: Option<String>,
    /// This action (its stored name).
    pub action: Option<String>,
}

/// One page of matching events, newest first, and how many match in all.
pub async fn list(
    db: &Db,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEvent>, i64), sqlx::Error> {
    let mut c = Conditions::default();
    if let Some(id) = filter.target_user_id {
        let p = c.int(id.get());
        c.add(format!("target_user_id = {p}"));
    }
    if let Some(actor) = &filter.actor {
        let p = c.text(actor.to_lowercase());
        c.add(format!("LOWER(actor_name) = {p}"));
    }
    if let Some(target) = &filter.target {
        let p = c.text(target.to_lowercase());
        c.add(format!("LOWER(target_name) = {p}"));
    }
    if let Some(action) = &filter.action {
        let p = c.text(action.as_str());
        c.add(format!("action = {p}"));
    }
    c.page(
        db,
        (COLUMNS, "audit_events"),
        true,
        (offset, limit),
        from_row,
    )
    .await
}
