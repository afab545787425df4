-- The finding lifecycle: customer-owned attributes, retention, history and
-- metering.

-- customized is the asff.Customized bitmask. 0, the value of nearly every
-- row, costs no payload byte in SQLite's record format.
ALTER TABLE findings ADD COLUMN customized INTEGER NOT NULL DEFAULT 0;
-- retain_at is the retention clock: the later of UpdatedAt and ProcessedAt,
-- in Unix milliseconds.
ALTER TABLE findings ADD COLUMN retain_at INTEGER;
UPDATE findings SET retain_at = max(coalesce(updated_at, 0), processed_at / 1000000);
-- The retention job's index. Keyed by whether the finding is ARCHIVED
-- rather than by record_state itself, so that "ARCHIVED and older than A"
-- and "anything else, NULL included, and older than B" are each one index
-- range; with record_state as the first column the second would walk every
-- ACTIVE finding. New and re-imported findings carry the current time, so
-- their entries go to the right edge of the index: the import pays about
-- one hot page for it, not a random one. DeleteExpired names the index.
CREATE INDEX findings_retain ON findings (record_state IS 'ARCHIVED', retain_at);

-- A finding's history: one row per recorded change, clustered by finding
-- so that reading and deleting a finding's records is one range. seq comes
-- from a counter the writer holds, so it increases across all findings;
-- rec holds the rest of the record as compact JSON (see encodeHistory).
CREATE TABLE history (
	rid         INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	update_time INTEGER NOT NULL, -- Unix nanoseconds
	rec         BLOB    NOT NULL,
	PRIMARY KEY (rid, seq)
) WITHOUT ROWID;

-- High-water marks of the writer's counters, saved in every transaction
-- that uses them, so that opening the database need not scan history for
-- MAX(seq).
CREATE TABLE sequences (
	name  TEXT    PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO sequences (name, value) VALUES ('history', 0);

-- Metered usage: findings ingested per UTC day (Unix day number of
-- ProcessedAt), account, region and product.
CREATE TABLE usage (
	day         INTEGER NOT NULL,
	account     TEXT    NOT NULL,
	region      TEXT    NOT NULL,
	product_arn TEXT    NOT NULL,
	findings    INTEGER NOT NULL,
	PRIMARY KEY (day, account, region, product_arn)
) WITHOUT ROWID;
