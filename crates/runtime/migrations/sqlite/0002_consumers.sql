-- Consumers of other services' feeds: a cursor per feed, the event ids already applied, and a
-- lease so one replica at a time applies a feed.
CREATE TABLE consumer_cursors (
    consumer TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE consumer_applied (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE consumer_leases (
    consumer TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
