-- County fee rates (DOMAIN.md section 3, "Fees"), versioned by the first day they apply: a day is
-- charged at the version of its county with the latest `effective_on` not after it. A stored
-- version never changes (a correction is a new version from a later day). Amounts in fen.
CREATE TABLE county_rates (
    division TEXT NOT NULL,
    -- YYYY-MM-DD, local
    effective_on TEXT NOT NULL,
    basic_living_fen BIGINT NOT NULL,
    care_full_fen BIGINT NOT NULL,
    care_partial_fen BIGINT NOT NULL,
    care_none_fen BIGINT NOT NULL,
    special_bed_fen BIGINT NOT NULL,
    special_rehabilitation_fen BIGINT NOT NULL,
    -- "file" or the unit that set it
    set_by TEXT NOT NULL,
    set_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division, effective_on)
);

-- The assessed fee of one placement for one calendar month, at most one (the key), with its
-- breakdown in fee_lines: a later rate change never alters it. No personal data.
CREATE TABLE fees (
    placement_id TEXT NOT NULL REFERENCES placements (id),
    -- YYYY-MM
    month TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    station TEXT NOT NULL,
    -- the case's division (the sending station's county, whose rates apply)
    division TEXT NOT NULL,
    days_in_care INTEGER NOT NULL,
    days_in_month INTEGER NOT NULL,
    total_fen BIGINT NOT NULL,
    assessed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (placement_id, month)
);

CREATE INDEX fees_month ON fees (month, placement_id);
CREATE INDEX fees_institution ON fees (institution_id, month);
CREATE INDEX fees_station ON fees (station, month);

-- One line of a fee: one component over a run of days charged at one rates version.
CREATE TABLE fee_lines (
    placement_id TEXT NOT NULL,
    month TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    -- relief.foster.v1.FeeComponent
    component INTEGER NOT NULL,
    -- YYYY-MM-DD, local
    from_on TEXT NOT NULL,
    to_on TEXT NOT NULL,
    days INTEGER NOT NULL,
    rates_effective_on TEXT NOT NULL,
    monthly_fen BIGINT NOT NULL,
    margin_bps INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (placement_id, month, line_no),
    FOREIGN KEY (placement_id, month) REFERENCES fees (placement_id, month)
);

-- A county and month for which fees could not be assessed for want of rates: the county civil
-- affairs was notified once (FEE_RATES_MISSING), not on every retry.
CREATE TABLE fee_rates_missing (
    division TEXT NOT NULL,
    -- YYYY-MM
    month TEXT NOT NULL,
    -- the first day without rates (YYYY-MM-DD)
    first_day TEXT NOT NULL,
    notified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division, month)
);
