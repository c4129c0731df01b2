-- Foster care (托养) as intake sees it, from the foster service's feed ("Who owns a stay").
--
-- `cases.placement_id`, `cases.institution_id`, `cases.institution_division`: the current
-- placement of a case IN_FOSTER_CARE and where the person is; NULL in the station and once the
-- case is closed. `institution_division` is NULL for a move until its ResidentPlaced arrives.
ALTER TABLE cases ADD COLUMN placement_id TEXT;
ALTER TABLE cases ADD COLUMN institution_id TEXT;
ALTER TABLE cases ADD COLUMN institution_division TEXT;

-- Every placement of a case that intake learnt of, with its end: whether the person was in
-- foster care at a given instant (the 10-day stay flag), and which events are stale. No
-- personal data. Enumerations are protobuf numbers.
CREATE TABLE case_placements (
    placement_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    institution_id TEXT NOT NULL,
    -- '' until the placement's ResidentPlaced (a move learnt from PlacementEnded first)
    institution_division TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    ended_at TEXT,
    -- relief.foster.v1.PlacementEndKind
    end_kind INTEGER
);

CREATE INDEX case_placements_case ON case_placements (case_id, placed_at);
