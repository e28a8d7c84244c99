-- Current rows of the staging table (latest accepted version per key), with lineage columns.
SELECT * FROM staging.enterprises
