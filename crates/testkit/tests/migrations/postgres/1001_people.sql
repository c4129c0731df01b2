-- People of the personal-data test service (tests only): name and ID number encrypted, the ID
-- number also blind-indexed for lookups.
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    id_number_index TEXT NOT NULL
);

CREATE INDEX people_id_number_index ON people (id_number_index);
