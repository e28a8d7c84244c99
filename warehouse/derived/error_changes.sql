-- Error-recorded changes of a set of change rows ({rows}) with their declaration's owners
-- (NULL when the declaration has not landed yet), in date order: the engine reads one year of them.
SELECT ch.change_id, ch.entry_id, ch.requested_date, d.consignee_code, d.declarant_code
FROM {rows} ch
LEFT JOIN staging.declarations d USING (entry_id)
WHERE ch.error_recorded
ORDER BY ch.requested_date
