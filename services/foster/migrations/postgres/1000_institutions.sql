-- Foster institutions (托养机构), registered only if qualified. The qualification evidence is the
-- encoded relief.foster.v1.Qualification (no personal data); the earliest document expiry is a
-- column so lists and the placement check read it without decoding.
CREATE TABLE institutions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    division TEXT NOT NULL,
    address TEXT NOT NULL,
    -- relief.foster.v1.InstitutionKind
    kind INTEGER NOT NULL,
    government_run BOOLEAN NOT NULL,
    capacity INTEGER NOT NULL,
    approved_for_minors BOOLEAN NOT NULL,
    qualification BYTEA NOT NULL,
    -- relief.foster.v1.InstitutionStatus
    status INTEGER NOT NULL,
    -- YYYY-MM-DD, the last local day every document is valid
    documents_expire_on TEXT NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    registered_by TEXT NOT NULL,
    suspended_at TIMESTAMPTZ,
    suspension_reason TEXT
);

CREATE INDEX institutions_registered ON institutions (registered_at, id);
CREATE INDEX institutions_division ON institutions (division);
