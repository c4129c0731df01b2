-- Tables of the test service (tests only).
CREATE TABLE created (id TEXT PRIMARY KEY, value TEXT NOT NULL, caller TEXT NOT NULL);
CREATE TABLE received (event_id TEXT NOT NULL, seq BIGINT NOT NULL, label TEXT NOT NULL, n BIGINT NOT NULL);
CREATE TABLE fired (deadline_id TEXT NOT NULL, fired_at TIMESTAMPTZ NOT NULL);
