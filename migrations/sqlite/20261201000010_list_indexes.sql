-- Lists of a million tokens (issue 17). db::Conditions pages by selecting
-- ids in an index first: a deep page then skips narrow index entries, not
-- whole rows.
DROP INDEX personal_access_tokens_user;
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, impersonation, id);
CREATE INDEX personal_access_tokens_kind ON personal_access_tokens (impersonation, id);

-- Name search (`search=`): a trigram index over the names, which a
-- `LIKE '%word%'` of three characters or more looks up instead of reading
-- every row (PostgreSQL: pg_trgm). It reads the names from the table
-- (external content) and is kept in step by the triggers below.
CREATE VIRTUAL TABLE personal_access_tokens_name_search USING fts5 (
    name,
    content = 'personal_access_tokens',
    content_rowid = 'id',
    tokenize = 'trigram',
    detail = 'none'
);
INSERT INTO personal_access_tokens_name_search (personal_access_tokens_name_search) VALUES ('rebuild');

CREATE TRIGGER personal_access_tokens_name_search_inserted
AFTER INSERT ON personal_access_tokens
BEGIN
    INSERT INTO personal_access_tokens_name_search (rowid, name) VALUES (NEW.id, NEW.name);
END;

CREATE TRIGGER personal_access_tokens_name_search_deleted
AFTER DELETE ON personal_access_tokens
BEGIN
    INSERT INTO personal_access_tokens_name_search (personal_access_tokens_name_search, rowid, name)
    VALUES ('delete', OLD.id, OLD.name);
END;

CREATE TRIGGER personal_access_tokens_name_search_renamed
AFTER UPDATE OF name ON personal_access_tokens
BEGIN
    INSERT INTO personal_access_tokens_name_search (personal_access_tokens_name_search, rowid, name)
    VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO personal_access_tokens_name_search (rowid, name) VALUES (NEW.id, NEW.name);
END;

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
