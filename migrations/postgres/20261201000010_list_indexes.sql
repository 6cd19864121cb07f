-- Lists of a million tokens (issue 17). db::Conditions pages by selecting
-- ids in an index first: a deep page then skips narrow index entries
-- (an index-only scan), not whole rows.
DROP INDEX personal_access_tokens_user;
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, impersonation, id);
CREATE INDEX personal_access_tokens_kind ON personal_access_tokens (impersonation, id);

-- Name search (`search=`): a trigram index, which `LOWER(name) LIKE
-- '%word%'` of three characters or more uses instead of reading every row
-- (SQLite: an FTS5 trigram table). pg_trgm ships with PostgreSQL and is a
-- trusted extension (13+): the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX personal_access_tokens_name_search
    ON personal_access_tokens USING gin (LOWER(name) gin_trgm_ops);

-- The audit log's filters (Admin Area, `forgekey audit`), newest first
-- within each; and the references a deleted user's rows are cleared
-- through (ON DELETE SET NULL would otherwise read the whole table).
CREATE INDEX audit_events_target_user ON audit_events (target_user_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_actor_name ON audit_events (LOWER(actor_name), id);
CREATE INDEX audit_events_target_name ON audit_events (LOWER(target_name), id);
CREATE INDEX personal_access_tokens_created_by ON personal_access_tokens (created_by)
    WHERE created_by IS NOT NULL;
