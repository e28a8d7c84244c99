"""Warehouses written by earlier versions open with their history intact."""

from __future__ import annotations

from datetime import date

from warehouse.connection import connect

OLD_RULE_RESULTS = """
CREATE TABLE marts.rule_results (
    customs_code VARCHAR NOT NULL, as_of DATE NOT NULL, rule_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL, value VARCHAR, threshold VARCHAR, expiry_date DATE,
    basis VARCHAR NOT NULL, explanation_en VARCHAR NOT NULL, explanation_zh VARCHAR NOT NULL,
    last_breach_date DATE, provisional BOOLEAN NOT NULL, rulebook VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL)
"""


def test_a_rendered_rule_results_table_is_archived_and_still_read(settings):
    con = connect(settings)
    con.execute("DROP VIEW marts.rule_results")
    con.execute(OLD_RULE_RESULTS)
    con.execute(
        "INSERT INTO marts.rule_results VALUES ('1100000001', DATE '2025-06-30', 'A3', 'fail', "
        "'1 open: C1', '0 open cases', NULL, 'basis', 'Blocked.', '受阻。', NULL, false, "
        "'CN-251', 'old-run')"
    )
    con.close()

    con = connect(settings)
    kind = con.sql(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'rule_results'"
    ).fetchall()
    assert kind == [("VIEW",)]
    assert con.sql(
        "SELECT as_of, rule_id, value, explanation_zh, run_id FROM marts.rule_results"
    ).fetchall() == [(date(2025, 6, 30), "A3", "1 open: C1", "受阻。", "old-run")]
    con.close()


def test_evaluating_an_archived_date_again_replaces_its_rows(world):
    world.enterprise("1100000001")
    world.evaluate("2025-06-30")
    con = world.con
    con.execute(
        "INSERT INTO marts.rule_results_archive SELECT * REPLACE ('archived' AS run_id) "
        "FROM marts.rule_results"
    )
    assert con.sql(
        "SELECT count(*) FROM marts.rule_results WHERE run_id = 'archived'"
    ).fetchall() == [(20,)]
    world.evaluate("2025-06-30")
    rows = con.sql("SELECT rule_id, count(*) FROM marts.rule_results GROUP BY 1").fetchall()
    assert len(rows) == 20 and {n for _, n in rows} == {1}
