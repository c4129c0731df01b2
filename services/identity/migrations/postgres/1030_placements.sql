-- Where a person in foster care is (from the foster service's feed): every placement identity
-- learnt of, by case, with its end. The current one of a case is the one not ended; a move ends
-- one and starts the next at the same instant. No personal data. Enumerations are protobuf
-- numbers.
CREATE TABLE foster_placements (
    placement_id TEXT PRIMARY KEY,
    -- the intake case (a stay_cases row, once intake's feed has brought it)
    case_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    -- relief.foster.v1.PlacementEndKind
    end_kind INTEGER
);

CREATE INDEX foster_placements_case ON foster_placements (case_id, placed_at);
