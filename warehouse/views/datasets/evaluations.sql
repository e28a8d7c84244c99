-- The mart as the rule engine wrote it: every evaluated as_of (history).
SELECT * FROM marts.evaluations
