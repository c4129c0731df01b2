-- A placement the station proposed and civil affairs has not decided yet, from the foster
-- service's feed (PlacementProposed; cleared by PlacementDeclined, PlacementWithdrawn,
-- ResidentPlaced, or the case's closing). While it is set the station cannot discharge the
-- case (CASE_PLACEMENT_PROPOSED), and foster approves the placement only once intake shows it:
-- no approved placement can be left without its case.
ALTER TABLE cases ADD COLUMN proposed_placement_id TEXT;
