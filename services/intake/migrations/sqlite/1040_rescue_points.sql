-- Rescue points (救助点) of streets, townships and communities (DOMAIN.md section 1), registered
-- by civil affairs. `id` is the unit id a certificate for the rescue point names
-- (`relief certs issue grid <division> <id>`): `rp-<division>-<16 hex digits>`.
CREATE TABLE rescue_points (
    id TEXT PRIMARY KEY,
    division TEXT NOT NULL,
    street TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    -- the registering civil-affairs bureau
    registered_by_unit TEXT NOT NULL,
    registered_by_division TEXT NOT NULL,
    registered_at TEXT NOT NULL
);

CREATE INDEX rescue_points_registered ON rescue_points (registered_at, id);
CREATE INDEX rescue_points_division_registered ON rescue_points (division, registered_at, id);
