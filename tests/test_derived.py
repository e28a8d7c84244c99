"""derived.*: the rule engine's aggregates, kept in step with staging by the merge of each batch."""

from __future__ import annotations

import duckdb
import pytest

from tests.ingest_helpers import (
    CHANGES_HEADER,
    DECL_1,
    DECL_2,
    DECLARATIONS_HEADER,
    LOAD_DATE,
    loaded_base,
    write_csv,
)
from warehouse import derived
from warehouse.ingest import ingest_file

ORPHAN = "220120241000000009"  # a change lands before its declaration


def per_day_from_derived(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql(
        "SELECT consignee_code, declarant_code, batch_id, "
        "       month + CAST(d - 1 AS INTEGER) AS day, sum(sign(n)) AS n "
        "FROM (SELECT *, unnest(row_days) AS d FROM derived.declaration_months) "
        "GROUP BY ALL HAVING sum(sign(n)) <> 0 ORDER BY ALL"
    ).fetchall()


def per_day_from_staging(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql(
        "SELECT consignee_code, declarant_code, batch_id, declare_date, count(*) "
        "FROM staging.declarations GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def error_changes_from_staging(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql(
        "SELECT ch.change_id, ch.entry_id, ch.requested_date, d.consignee_code, d.declarant_code "
        "FROM staging.declaration_changes ch LEFT JOIN staging.declarations d USING (entry_id) "
        "WHERE ch.error_recorded ORDER BY ALL"
    ).fetchall()


def assert_in_step(con: duckdb.DuckDBPyConnection) -> None:
    assert per_day_from_derived(con) == per_day_from_staging(con)
    assert (
        con.sql(
            "SELECT consignee_code, declarant_code, year, batch_id, sum(n) "
            "FROM derived.declaration_years GROUP BY ALL HAVING sum(n) <> 0 ORDER BY ALL"
        ).fetchall()
        == con.sql(
            "SELECT consignee_code, declarant_code, year(declare_date), batch_id, count(*) "
            "FROM staging.declarations GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    )
    assert con.sql(
        "SELECT * FROM derived.error_changes ORDER BY ALL"
    ).fetchall() == error_changes_from_staging(con)
    # group totals agree with their days
    assert con.sql(
        "SELECT count(*) FROM derived.declaration_months WHERE abs(n) <> len(row_days)"
    ).fetchall() == [(0,)]
    assert derived.in_step(con)


def change(change_id: str, entry_id: str, day: str, error: str) -> list[str]:
    return [change_id, entry_id, "modify", "enterprise", "R01", day, error, ""]


def ingest(con, settings, path) -> None:
    report = ingest_file(con, settings, path, load_date=LOAD_DATE)
    assert report.status == "accepted", report.reason


def test_merges_keep_counts_and_change_owners_in_step(warehouse, settings, tmp_path):
    con = warehouse
    loaded_base(con, settings, tmp_path)
    assert_in_step(con)
    first_batch = con.sql("SELECT DISTINCT batch_id FROM staging.declarations").fetchall()[0][0]

    # changes: one on DECL_1, one orphan, one not error-recorded
    changes = [
        CHANGES_HEADER,
        change("X1", DECL_1[0], "2024-05-01", "true"),
        change("X2", ORPHAN, "2024-05-02", "true"),
        change("X3", DECL_2[0], "2024-05-03", "false"),
    ]
    ingest(con, settings, write_csv(tmp_path / "c1" / "declaration_changes.csv", changes))
    assert_in_step(con)
    assert con.sql(
        "SELECT change_id, consignee_code FROM derived.error_changes ORDER BY 1"
    ).fetchall() == [("X1", "1100000001"), ("X2", None)]

    # declarations: DECL_1 moves to another owner and month; the orphan's declaration lands
    moved = list(DECL_1)
    moved[1], moved[2], moved[3] = "11000000B2", "11000000B2", "2024-02-29"
    orphan = list(DECL_1)
    orphan[0], orphan[3] = ORPHAN, "2024-04-30"
    ingest(
        con,
        settings,
        write_csv(tmp_path / "d2" / "declarations.csv", [DECLARATIONS_HEADER, moved, orphan]),
    )
    assert_in_step(con)
    assert con.sql(
        "SELECT change_id, consignee_code FROM derived.error_changes ORDER BY 1"
    ).fetchall() == [("X1", "11000000B2"), ("X2", "1100000001")]
    # the replaced row left the first batch's count: that batch now holds DECL_2 and DECL_3 only
    assert con.sql(
        f"SELECT sum(n) FROM derived.declaration_years WHERE batch_id = '{first_batch}'"
    ).fetchall() == [(2,)]

    # changes again: X1 is no longer an error, X3 now is
    changes2 = [
        CHANGES_HEADER,
        change("X1", DECL_1[0], "2024-05-01", "false"),
        change("X3", DECL_2[0], "2024-05-03", "true"),
    ]
    ingest(con, settings, write_csv(tmp_path / "c2" / "declaration_changes.csv", changes2))
    assert_in_step(con)
    assert [
        r[0] for r in con.sql("SELECT change_id FROM derived.error_changes ORDER BY 1").fetchall()
    ] == ["X2", "X3"]


def test_a_batch_that_fails_at_commit_leaves_the_aggregates_as_they_were(
    warehouse, settings, tmp_path
):
    con = warehouse
    loaded_base(con, settings, tmp_path)
    before = per_day_from_derived(con)
    moved = list(DECL_1)
    moved[3] = "2024-01-15"

    def crash(_con) -> None:
        raise RuntimeError("power cut")

    path = write_csv(tmp_path / "d" / "declarations.csv", [DECLARATIONS_HEADER, moved])
    with pytest.raises(RuntimeError, match="power cut"):
        ingest_file(con, settings, path, load_date=LOAD_DATE, before_commit=crash)
    assert per_day_from_derived(con) == before
    assert_in_step(con)


def test_rows_written_into_staging_directly_are_caught_and_rebuilt(warehouse, settings, tmp_path):
    con = warehouse
    loaded_base(con, settings, tmp_path)
    con.execute(
        "INSERT INTO staging.declarations SELECT * REPLACE ('220120241000000077' AS entry_id) "
        "FROM staging.declarations LIMIT 1"
    )
    assert not derived.in_step(con)
    assert derived.ensure_in_step(con) is True
    assert_in_step(con)
    assert derived.ensure_in_step(con) is False


def test_the_aggregates_are_laid_out_in_date_order(warehouse):
    """The engine reads one year of them: in date order, its scans skip the rest by min/max."""
    con = warehouse
    con.execute(
        "INSERT INTO staging.declarations SELECT printf('2201202410%08d', i), 'C1', 'C1', "
        "DATE '2025-06-30' - CAST((i * 7919) % 900 AS INTEGER), 'I', '2201', '0110', 'entry', 1, "
        "'released', 'b1', i FROM range(3000) t(i)"
    )
    con.execute(
        "INSERT INTO staging.declaration_changes SELECT 'X' || i, printf('2201202410%08d', i), "
        "'modify', 'enterprise', 'R1', DATE '2025-06-30' - CAST((i * 31) % 700 AS INTEGER), true, "
        "NULL, 'b1', i FROM range(2000) t(i)"
    )
    derived.rebuild(con)
    in_rowid_order = con.sql(
        "SELECT list(month ORDER BY rowid) FROM derived.declaration_months"
    ).fetchall()[0][0]
    assert len(in_rowid_order) > 12 and in_rowid_order == sorted(in_rowid_order)
    changed = con.sql(
        "SELECT list(requested_date ORDER BY rowid) FROM derived.error_changes"
    ).fetchall()[0][0]
    assert len(changed) == 2000 and changed == sorted(changed)


def test_the_old_31_day_counts_shape_is_replaced_and_rebuilt(warehouse, settings, tmp_path):
    from warehouse.schema import ensure_schema

    con = warehouse
    loaded_base(con, settings, tmp_path)
    expected = per_day_from_derived(con)
    con.execute("DROP TABLE derived.declaration_months")
    con.execute(
        "CREATE TABLE derived.declaration_months (consignee_code VARCHAR, declarant_code VARCHAR, "
        "month DATE NOT NULL, batch_id VARCHAR NOT NULL, n BIGINT NOT NULL, "
        "days INTEGER[] NOT NULL)"
    )
    ensure_schema(con)
    assert derived.ensure_in_step(con) is True
    assert per_day_from_derived(con) == expected
    assert_in_step(con)


def test_every_declaration_kind_the_contract_admits_is_a_document():
    """derived counts every declaration: right only while the contract admits no other kind
    (credit-rules.md: docs are declarations of kind entry, filing_list or manifest)."""
    from warehouse.contract import KINDS

    doc_kind = next(c for c in KINDS["declarations"].columns if c.name == "doc_kind")
    assert set(doc_kind.values) == {"entry", "filing_list", "manifest"}
