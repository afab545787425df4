-- Hubs: one row per subscribed (account, region).
CREATE TABLE hubs (
	account                   TEXT    NOT NULL,
	region                    TEXT    NOT NULL,
	subscribed_at             INTEGER NOT NULL, -- Unix nanoseconds
	auto_enable_controls      INTEGER NOT NULL,
	control_finding_generator TEXT    NOT NULL,
	tags                      TEXT    NOT NULL, -- JSON object
	PRIMARY KEY (account, region)
) WITHOUT ROWID;

-- Scopes give each (region, account) a small integer so that every
-- findings index starts with one or two bytes instead of ~25 of text.
-- Rows are never deleted, so a sid can be cached forever.
CREATE TABLE scopes (
	sid     INTEGER PRIMARY KEY,
	region  TEXT NOT NULL,
	account TEXT NOT NULL,
	UNIQUE (region, account)
);

-- The narrow findings table: the key, the hot filter and sort columns, and
-- nothing else, so that index walks and row checks touch few pages. Hot
-- columns are NULL when the document has no value of the filter's type.
CREATE TABLE findings (
	rid             INTEGER PRIMARY KEY,
	sid             INTEGER NOT NULL,
	account         TEXT    NOT NULL,
	product_arn     TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	updated_at      INTEGER, -- Unix milliseconds of UpdatedAt
	severity_label  TEXT,
	workflow_status TEXT,
	record_state    TEXT,
	processed_at    INTEGER NOT NULL -- Unix nanoseconds
);
-- The key; also serves ProductArn EQUALS/PREFIX and the tie-break order.
CREATE UNIQUE INDEX findings_key ON findings (sid, product_arn, id);
-- The default sort (UpdatedAt DESC) and UpdatedAt ranges. It carries the
-- low-cardinality hot columns so that walking it in sort order evaluates
-- their filters without visiting the table.
CREATE INDEX findings_updated ON findings (sid, updated_at, severity_label, workflow_status, record_state);
-- Selective filters on the low-cardinality columns, first page by UpdatedAt.
CREATE INDEX findings_severity ON findings (sid, severity_label, updated_at);
CREATE INDEX findings_workflow ON findings (sid, workflow_status, updated_at);

-- The document exactly as GetFindings returns it, apart from the narrow
-- table so that scans of the latter stay dense.
CREATE TABLE docs (
	rid INTEGER PRIMARY KEY,
	doc BLOB NOT NULL
);

-- Multi-valued attributes (Resources[].Id, Resources[].Type): one row per
-- distinct string value. Clustered by finding, so rows of new findings are
-- appended and a walk in sort order checks a finding's values with one
-- lookup; attrs_value makes EQUALS and PREFIX index range lookups.
CREATE TABLE attrs (
	rid   INTEGER NOT NULL,
	field INTEGER NOT NULL,
	value TEXT    NOT NULL,
	PRIMARY KEY (rid, field, value)
) WITHOUT ROWID;
CREATE INDEX attrs_value ON attrs (field, value, rid);
