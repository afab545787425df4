-- Writes planned outside the writer, and history appended at the end.

-- version is the number of the write that last changed the row, from the
-- 'version' counter below: every write takes a new number. A request reads
-- its findings and merges them on its own goroutine; the writer then checks
-- that each finding's (rid, version) is still what was read before writing
-- the planned change. The number is unique across the database's life, so
-- a finding deleted and imported again under a reused rid never looks
-- unchanged. 0, the value of the rows this migration finds, costs no
-- payload byte.
ALTER TABLE findings ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
INSERT INTO sequences (name, value) VALUES ('version', 0);

-- History as one chain per finding: records are keyed by seq alone, so
-- that a new record goes to the right edge of the table instead of to a
-- random page among the finding's older ones. prev is the seq of the
-- finding's previous record (NULL for its first) and findings.last_seq the
-- newest, so reading a finding's history walks the chain newest first, and
-- deleting a finding deletes its chain. rid names the finding the record
-- belongs to, so that a listing continued from a record can check it.
ALTER TABLE findings ADD COLUMN last_seq INTEGER;

CREATE TABLE history_chain (
	seq         INTEGER PRIMARY KEY,
	rid         INTEGER NOT NULL,
	prev        INTEGER,
	update_time INTEGER NOT NULL, -- Unix nanoseconds
	rec         BLOB    NOT NULL
);
INSERT INTO history_chain (seq, rid, prev, update_time, rec)
	SELECT seq, rid, lag(seq) OVER (PARTITION BY rid ORDER BY seq), update_time, rec
	FROM history WHERE rid IN (SELECT rid FROM findings)
	ORDER BY seq;
UPDATE findings SET last_seq = h.seq
	FROM (SELECT rid, max(seq) AS seq FROM history GROUP BY rid) AS h
	WHERE findings.rid = h.rid;
DROP TABLE history;
ALTER TABLE history_chain RENAME TO history;
