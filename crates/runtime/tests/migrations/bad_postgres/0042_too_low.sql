-- Numbered inside the runtime's range (below 1000): Db::connect must refuse it.
CREATE TABLE too_low (id TEXT PRIMARY KEY NOT NULL);
