-- The event outbox: events are written in the transaction of the change
-- that causes them and deleted once every target has passed them.
-- AUTOINCREMENT so that a sequence number is never given twice, even
-- after the outbox has been emptied: targets' cursors depend on it.
CREATE TABLE events (
	seq  INTEGER PRIMARY KEY AUTOINCREMENT,
	key  TEXT    NOT NULL,
	id   TEXT    NOT NULL,
	at   INTEGER NOT NULL, -- the event's time, Unix nanoseconds
	body BLOB    NOT NULL  -- the event as EventBridge delivers it (JSON)
);

-- Each target's progress: the last event it has dealt with.
CREATE TABLE event_cursors (
	target TEXT PRIMARY KEY,
	seq    INTEGER NOT NULL
) WITHOUT ROWID;

-- Events a target gave up on, for an operator to list and replay.
CREATE TABLE dead_letters (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	target   TEXT    NOT NULL,
	key      TEXT    NOT NULL,
	body     BLOB    NOT NULL,
	reason   TEXT    NOT NULL,
	attempts INTEGER NOT NULL,
	at       INTEGER NOT NULL -- Unix nanoseconds
);
CREATE INDEX dead_letters_target ON dead_letters (target, id);

-- Rules managed through the operator endpoint (the config file's are not
-- stored), as JSON: few, and read only when they change.
CREATE TABLE rules (
	name TEXT PRIMARY KEY,
	rule TEXT NOT NULL
) WITHOUT ROWID;

-- Custom actions (action targets).
CREATE TABLE action_targets (
	account     TEXT NOT NULL,
	region      TEXT NOT NULL,
	id          TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	PRIMARY KEY (account, region, id)
) WITHOUT ROWID;
