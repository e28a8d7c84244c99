-- An amount of CNY as the explanations print it: whole yuan as such (1,050,000), otherwise with
-- its fen (209,999.99), so that an amount just under a limit never prints as the limit itself.
-- Created before the views that call it (files run in name order, warehouse/schema.py).
CREATE OR REPLACE MACRO marts.cny_text(x) AS
    CASE WHEN x = trunc(x) THEN format('{:,.0f}', CAST(x AS DOUBLE))
         ELSE format('{:,.2f}', CAST(x AS DOUBLE)) END;
