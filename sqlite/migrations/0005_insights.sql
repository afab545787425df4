-- Custom insights, and what the in-memory group index needs of each
-- finding (see groups.go).

-- One row per custom insight; filters is the AwsSecurityFindingFilters
-- JSON as the caller gave it.
CREATE TABLE insights (
	account  TEXT NOT NULL,
	region   TEXT NOT NULL,
	arn      TEXT NOT NULL,
	name     TEXT NOT NULL,
	filters  BLOB NOT NULL,
	group_by TEXT NOT NULL,
	PRIMARY KEY (account, region, arn)
) WITHOUT ROWID;

-- The values of the group index's attributes that the narrow table does
-- not hold (ProductName, CompanyName, GeneratorId, Compliance.Status,
-- CreatedAt, Types[], Resources[].Id and Resources[].Type), encoded by
-- encodeGroupVals: one short row per finding, so that the index is built
-- from two sequential scans rather than from the documents. A new
-- finding's row goes to the right edge of the table; a re-import rewrites
-- it only when one of these values changed.
CREATE TABLE groupvals (
	rid INTEGER PRIMARY KEY,
	v   BLOB NOT NULL
);
INSERT INTO groupvals (rid, v) SELECT rid, muster_groupvals(doc) FROM docs ORDER BY rid;
