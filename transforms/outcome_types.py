"""marts.rule_outcomes keeps `rule_id`, `status` and `variant` as ENUMs, not strings.

Its rows are the largest part of the marts transaction's COMMIT, which DuckDB spends re-appending
the transaction's rows and writing them to the WAL value by value: an ENUM value is a byte, not a
string (36k outcome rows: COMMIT 10.3 -> 5.2 ms, measured). The values are this code's: the
rules, the statuses, and every variant `transforms/explanations.toml` explains. DuckDB cannot add
a value to an ENUM, so a column that lacks one of them is rewritten with a wider ENUM holding the
values it had (or, still VARCHAR from before, the ones stored) and the code's: nothing stored is
ever refused.
"""

from __future__ import annotations

import functools

import duckdb

from transforms.explanation_texts import explanation_rows
from transforms.rulebook import RULE_IDS

STATUSES = ("pass", "fail", "warn", "n_a")


@functools.cache
def wanted_values() -> dict[str, frozenset[str]]:
    """The code's values per column: read once per process (the templates are code)."""
    return {
        "rule_id": frozenset(RULE_IDS),
        "status": frozenset(STATUSES),
        "variant": frozenset(variant for _, variant, _, _ in explanation_rows(RULE_IDS)),
    }


def ensure_outcome_enums(con: duckdb.DuckDBPyConnection) -> None:
    """Widen (or first make) the ENUM columns of marts.rule_outcomes; a no-op when they hold
    every value already (one bound, unexecuted query: ~0.3 ms). Runs in the caller's
    transaction."""
    wanted = wanted_values()
    cursor = con.execute(f"SELECT {', '.join(wanted)} FROM marts.rule_outcomes LIMIT 0")
    types = {d[0]: d[1] for d in cursor.description}
    cursor.fetchall()
    for column, values in wanted.items():
        if types[column].id == "enum":  # children: [("values", [...])]
            have = set(dict(types[column].children)["values"])
            if values <= have:
                continue
        else:  # VARCHAR, as before the ENUMs: keep whatever was stored
            have = {
                v
                for (v,) in con.execute(
                    f"SELECT DISTINCT {column} FROM marts.rule_outcomes WHERE {column} IS NOT NULL"
                ).fetchall()
            }
        listed = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values | have))
        con.execute(f"ALTER TABLE marts.rule_outcomes ALTER {column} TYPE ENUM({listed})")
