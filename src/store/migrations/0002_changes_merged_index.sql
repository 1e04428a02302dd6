-- The DORA report for all teams loads changes merged in a range with no team or service
-- filter; without this index that query scans the whole table.
CREATE INDEX changes_merged ON changes (merged_at);
