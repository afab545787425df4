-- The group index's values of a finding (encodeGroupVals) move from the
-- groupvals table into a column of its findings row. A re-import rewrites
-- that row anyway (processed_at, version), but the groupvals row was a page
-- of another table at a random place: 0.7 of the 4 WAL frames a re-import
-- wrote at a million findings. The narrow table grows from about 220 to 450
-- bytes a row, a tenth of the documents', and the index is built from one
-- sequential scan of it. A finding whose value is NULL has its values read
-- from its document.
ALTER TABLE findings ADD COLUMN groupvals BLOB;
UPDATE findings SET groupvals = (SELECT v FROM groupvals g WHERE g.rid = findings.rid);
DROP TABLE groupvals;
