"""marts.rule_outcomes' ENUM columns: made at the first evaluation, widened, refusing no row."""

from __future__ import annotations

import datetime as dt

from transforms.explanation_texts import explanation_rows
from transforms.rulebook import RULE_IDS


def _types(con) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'rule_outcomes' AND column_name IN ('rule_id', 'status', 'variant')"
        ).fetchall()
    )


def _values(con, column: str) -> set[str]:
    return set(con.execute(f"SELECT enum_range(NULL::{_types(con)[column]})").fetchall()[0][0])


def test_an_evaluation_makes_the_columns_enums_of_every_rule_status_and_variant(world) -> None:
    assert set(_types(world.con).values()) == {"VARCHAR"}  # as the DDL creates them
    code = world.enterprise("4200000901")
    world.case(code, "2025-03-01", 2_000_000)  # D3 with no documents: some outcomes to store
    world.evaluate("2025-09-30")
    assert all(t.startswith("ENUM(") for t in _types(world.con).values())
    assert _values(world.con, "rule_id") == set(RULE_IDS)
    assert _values(world.con, "status") == {"pass", "fail", "warn", "n_a"}
    assert _values(world.con, "variant") == {v for _, v, _, _ in explanation_rows(RULE_IDS)}
    d3 = world.rule(code, "D3")  # the view still renders from the ENUMs
    assert (d3["status"], d3["explanation_en"][:10]) == ("fail", "Dishonest:")


def test_values_stored_before_are_kept_when_the_columns_change_type(world) -> None:
    """A variant an older engine wrote (VARCHAR), then one the ENUM lacks: both survive."""
    code = world.enterprise("4200000902")
    world.con.execute(
        "INSERT INTO marts.rule_outcomes VALUES (?, DATE '2024-01-31', 'A7', 'fail', "
        "'fail_old_wording', NULL, NULL)",
        [code],
    )
    world.evaluate("2025-09-30")
    assert "fail_old_wording" in _values(world.con, "variant")
    # an ENUM without a variant the code has (as after an upgrade that adds one), and a value
    # with a quote in it (read from the type itself, never from its printed form)
    world.con.execute(
        "ALTER TABLE marts.rule_outcomes ALTER variant TYPE "
        "ENUM('fail', 'fail_old_wording', 'n_a', 'pass', 'warn', 'the owner''s')"
    )
    world.case(code, "2025-03-01", 2_000_000)
    world.evaluate("2025-09-30")
    variants = _values(world.con, "variant")
    assert {"fail_ended", "fail_old_wording", "repaired", "the owner's"} <= variants
    old = world.con.execute(
        "SELECT CAST(variant AS VARCHAR) FROM marts.rule_outcomes WHERE as_of = ?",
        [dt.date(2024, 1, 31)],
    ).fetchall()
    assert old == [("fail_old_wording",)]
