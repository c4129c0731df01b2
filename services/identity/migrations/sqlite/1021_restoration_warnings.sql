-- Settlement slice: the warnings of a household restoration (an unknown restored division code is
-- accepted with a warning), one per line.
ALTER TABLE household_restorations ADD COLUMN warnings TEXT NOT NULL DEFAULT '';
