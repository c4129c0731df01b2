-- A second service migration, applied after 1001.
CREATE INDEX items_created_at ON items (created_at);
