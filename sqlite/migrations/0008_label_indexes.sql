-- findings_severity and findings_workflow were keyed by (label, UpdatedAt)
-- so that GetFindings could walk one label newest first. But UpdatedAt
-- moves on every re-import, and providers spread it over weeks: each new
-- or re-imported finding moved an entry of both indexes to a random place,
-- a page each, even when neither value changed. Keyed by the label alone
-- (SQLite appends the rowid), a new finding's entry lands at the end of its
-- label's range and a re-import leaves it where it is unless the label
-- changes (the writer sets only the columns that change). A listing in
-- UpdatedAt order walks findings_updated, which carries both labels, and
-- starts from these indexes only for a label rare enough to sort its
-- matches (see planHint).
DROP INDEX findings_severity;
DROP INDEX findings_workflow;
CREATE INDEX findings_severity ON findings (sid, severity_label);
CREATE INDEX findings_workflow ON findings (sid, workflow_status);
