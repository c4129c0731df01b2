-- A test service's table.
CREATE TABLE items (
    id TEXT PRIMARY KEY NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
