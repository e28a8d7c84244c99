-- A count-and-amount limit as the explanations print it (D3, D4, W1): "n > 12.5 and F > 1,000,000
-- CNY". With no previous-year documents the amount alone decides (credit-rules.md D3/D4), and the
-- text says so instead of quoting a count limit of 0.
CREATE OR REPLACE MACRO marts.count_and_amount_text(op, docs, count_limit, amount) AS
    CASE WHEN docs = 0
         THEN format('F {} {} CNY (no documents last year)', op, marts.cny_text(amount))
         ELSE format('n {} {} and F {} {} CNY', op, marts.count_text(count_limit), op,
                     marts.cny_text(amount)) END;
