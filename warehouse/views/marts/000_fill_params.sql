-- An explanation template with a rulebook's parameters in: every {p:NAME} replaced by the value
-- of NAME in `shown` (the parameters as the texts print them, rule_results.sql).
CREATE OR REPLACE MACRO marts.fill_params(template, shown) AS
    list_reduce(map_entries(shown), lambda s, e: replace(s, '{p:' || e.key || '}', e.value),
                template);
