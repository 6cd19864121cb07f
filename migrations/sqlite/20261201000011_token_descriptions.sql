-- A token's optional description (GitLab 17.7): what it is for, in its
-- owner's words, shown in the list and editable later. Existing tokens
-- have none.
ALTER TABLE personal_access_tokens ADD COLUMN description TEXT;
