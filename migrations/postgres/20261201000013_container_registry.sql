-- The container registry (off by default): whether Forgekey serves as its
-- token server, and the address clients name its images by
-- (`registry.example.com:5050`, as `docker login` takes it).
ALTER TABLE application_settings ADD COLUMN container_registry_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE application_settings ADD COLUMN container_registry_host TEXT NOT NULL DEFAULT '';
