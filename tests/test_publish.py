"""publish(): the versioned Parquet copy, the serving views, the atomic switch and pruning."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.cli import main as cli_main
from tests.serving_fixture import RULE_IDS, insert_evaluation, make_settings
from warehouse.connection import connect
from warehouse.errors import UserError
from warehouse.publish import publish
from warehouse.serving_datasets import DATASETS
from warehouse.serving_layout import ServingLayout
from warehouse.serving_views import SERVING_VIEWS
from warehouse.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "wh")


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_publish_writes_a_version_and_switches_to_it(settings: Settings) -> None:
    result = publish(settings)
    layout = ServingLayout(settings.serving)
    assert layout.read_current() == result.version
    assert layout.versions() == [result.version]
    assert result.rows["eligibility_snapshot"] == 15
    assert result.rows["rule_results"] == 15 * len(RULE_IDS)
    assert result.rows["evaluations"] == 3
    assert result.rows["control_assessments"] == 100
    files = sorted(str(p.relative_to(result.version_dir)) for p in result.version_dir.rglob("*"))
    by_as_of = [ds.name for ds in DATASETS if ds.by_as_of]
    assert by_as_of == ["eligibility_snapshot", "rule_results", "enterprise_indicators"]
    days = ["2026-06-28", "2026-06-29", "2026-06-30"]
    assert files == sorted(
        [ds.file_name for ds in DATASETS if not ds.by_as_of]
        + by_as_of
        + [f"{name}/{day}.parquet" for name in by_as_of for day in days]
        + ["manifest.json", "views.sql"]
    )
    manifest = json.loads((result.version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["datasets"]["rule_results"]["rows"] == 300
    assert manifest["datasets"]["rule_results"]["partitions"]["2026-06-29"] == {
        "run_id": "run-2026-06-29",
        "rows": 100,
    }
    assert not layout.leftovers()

    db = layout.serving_db
    assert _query(db, "SELECT version, latest_as_of, as_of_count FROM serving_info") == [
        (result.version, date(2026, 6, 30), 3)
    ]
    # Every file is zstd-compressed.
    codecs = _query(
        db,
        f"SELECT DISTINCT compression FROM parquet_metadata('{result.version_dir}/**/*.parquet')",
    )
    assert codecs == [("ZSTD",)]
    # Every view answers.
    for name in [ds.name for ds in DATASETS] + [v.name for v in SERVING_VIEWS]:
        _query(db, f"SELECT count(*) FROM {name}")


def test_serving_views_answer_with_fixture_values(settings: Settings) -> None:
    db = publish(settings).serving_db
    ready = _query(db, "SELECT customs_code FROM current_snapshot WHERE advanced_ready ORDER BY 1")
    assert ready == [("4200000004",), ("4200000005",)]
    assert _query(
        db,
        "SELECT blockers, earliest_application_date FROM current_snapshot "
        "WHERE customs_code = '4200000001'",
    ) == [(["A1", "A6"], date(2030, 2, 9))]

    changes = _query(
        db,
        """SELECT customs_code, level_from, level_to, blockers_appeared, blockers_cleared,
                  warnings_appeared, became_ready, stopped_being_ready
           FROM snapshot_changes WHERE as_of = DATE '2026-06-29' AND any_change
           ORDER BY customs_code""",
    )
    assert changes == [
        ("4200000001", "dishonest", "dishonest", [], [], ["W2"], False, False),
        ("4200000002", "regular", "dishonest", ["A1"], [], [], False, False),
        ("4200000003", "certified", "certified", [], ["A2"], [], False, False),
        ("4200000004", "regular", "regular", [], ["A3"], [], True, False),
    ]
    assert _query(db, "SELECT count(*) FROM snapshot_changes WHERE as_of = '2026-06-28'") == [(0,)]
    assert _query(db, "SELECT count(*) FROM snapshot_changes WHERE any_change") == [(4,)]

    history = _query(
        db,
        """SELECT as_of, assessed_level, blocker_count, counted_fines_cny, arrears_cny
           FROM enterprise_history WHERE customs_code = '4200000002' ORDER BY as_of""",
    )
    assert [(h[1], h[2]) for h in history] == [
        ("regular", 1),
        ("dishonest", 2),
        ("dishonest", 2),
    ]
    assert float(history[0][4]) == 15000.0

    blockers = _query(
        db, "SELECT customs_code, rule_id, expiry_date FROM current_blockers ORDER BY 1, 2"
    )
    assert blockers == [
        ("4200000001", "A1", date(2030, 2, 9)),
        ("4200000001", "A6", date(2027, 6, 15)),
        ("4200000002", "A1", None),
        ("4200000002", "A4", None),
        ("4200000003", "A7", None),
    ]
    assert _query(
        db,
        "SELECT rule_group, is_blocker, explanation_zh FROM rule_findings "
        "WHERE customs_code = '4200000003' AND as_of = '2026-06-28' AND rule_id = 'A2'",
    ) == [("advanced_readiness", True, "2025-06-29认证未通过，2026-06-29前不得再次申请。")]
    assert _query(
        db,
        "SELECT penalty_per_mille FROM indicators "
        "WHERE customs_code = '4200000001' AND as_of = '2026-06-30'",
    ) == [(1.5,)]


def test_drill_down_aggregates(settings: Settings) -> None:
    db = publish(settings).serving_db
    # 18 declarations per enterprise; brokers declare for a client (consignee 4200000099).
    assert _query(
        db,
        """SELECT role, sum(declarations) FROM declarations_monthly
           WHERE customs_code = '4200000002' GROUP BY role""",
    ) == [("declarant", 18)]
    assert _query(
        db,
        "SELECT sum(declarations) FROM declarations_monthly WHERE counts_as_docs",
    ) == [(90,)]
    assert _query(db, "SELECT count(*) FROM declarations_monthly WHERE counts_as_docs IS NULL") == [
        (
            _query(
                db, "SELECT count(*) FROM declarations_monthly WHERE customs_code = '4200000099'"
            )[0][0],
        )
    ]
    # 4200000001: 3 error changes on declarations of 2026-Q2 (k = 15, 16, 17).
    rows = _query(
        db,
        """SELECT quarter_label, declarations, error_changes, round(error_rate, 4)
           FROM declaration_errors_quarterly
           WHERE customs_code = '4200000001' AND quarter = DATE '2026-04-01'""",
    )
    assert rows == [("2026-Q2", 3, 3, 1.0)]
    total = _query(db, "SELECT sum(error_changes) FROM declaration_errors_quarterly")
    assert total == [(3 * 5 + 3,)]


def test_old_versions_pruned_but_never_current(settings: Settings) -> None:
    layout = ServingLayout(settings.serving)
    made = [publish(settings, keep_versions=2).version for _ in range(4)]
    assert layout.versions() == made[-2:]
    assert layout.read_current() == made[-1]
    # A version newer than CURRENT (say, left by a publish that died after naming its folder)
    # counts towards the newest N, but CURRENT itself is never deleted.
    orphan = layout.version_dir("99990101T000000.000000Z")
    orphan.mkdir()
    from warehouse.publish import prune_versions

    assert prune_versions(layout, 1) == [made[-2]]
    assert layout.versions() == [made[-1], orphan.name]
    assert _query(layout.serving_db, "SELECT version FROM serving_info") == [(made[-1],)]


def test_failed_publish_leaves_previous_copy(settings: Settings) -> None:
    first = publish(settings)
    con = connect(settings)
    insert_evaluation(con, date(2026, 7, 1))
    # A real failure half-way: the export of a later dataset fails after earlier files were written.
    con.execute("ALTER TABLE staging.financials RENAME TO financials_gone")
    with pytest.raises(duckdb.CatalogException):
        publish(settings, con=con)
    layout = ServingLayout(settings.serving)
    assert layout.read_current() == first.version
    assert layout.versions() == [first.version]
    assert layout.leftovers() == []
    assert _query(layout.serving_db, "SELECT version, as_of_count FROM serving_info") == [
        (first.version, 3)
    ]
    con.execute("ALTER TABLE staging.financials_gone RENAME TO financials")
    second = publish(settings, con=con)
    con.close()
    assert _query(layout.serving_db, "SELECT version, as_of_count FROM serving_info") == [
        (second.version, 4)
    ]


def test_failure_while_building_serving_file_keeps_previous(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = publish(settings)
    import warehouse.publish as pub

    def broken_build(path: Path, **kw: object) -> None:
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pub, "build_serving_db", broken_build)
    with pytest.raises(OSError, match="disk full"):
        publish(settings)
    layout = ServingLayout(settings.serving)
    assert layout.versions() == [first.version]
    assert layout.leftovers() == []
    assert _query(layout.serving_db, "SELECT version FROM serving_info") == [(first.version,)]


def test_publish_records_run_and_only_committed_data(settings: Settings) -> None:
    con = connect(settings)
    other = con.cursor()
    other.execute("BEGIN TRANSACTION")
    other.execute("DELETE FROM marts.eligibility_snapshot")  # uncommitted: must not be published
    result = publish(settings, con=con)
    other.execute("ROLLBACK")
    assert result.rows["eligibility_snapshot"] == 15
    runs = con.sql("SELECT flow, status, as_of FROM ops.runs").fetchall()
    con.close()
    assert runs == [("publish", "succeeded", date(2026, 6, 30))]


def test_keep_must_be_positive(settings: Settings) -> None:
    with pytest.raises(UserError):
        publish(settings, keep_versions=0)


def test_cli_publish(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--warehouse", str(settings.warehouse), "publish", "--keep", "1"]) == 0
    assert cli_main(["--warehouse", str(settings.warehouse), "publish", "--keep", "1"]) == 0
    out = capsys.readouterr().out
    assert "published version" in out and "rule_results" in out
    assert len(ServingLayout(settings.serving).versions()) == 1


def test_publish_before_any_evaluation(tmp_path: Path) -> None:
    """A fresh warehouse publishes empty datasets: dashboards connect and show nothing."""
    from warehouse.settings import load_settings

    settings = load_settings(tmp_path / "fresh" / "credit.duckdb")
    connect(settings).close()
    result = publish(settings)
    assert set(result.rows.values()) == {0}
    db = result.serving_db
    assert _query(db, "SELECT latest_as_of, as_of_count FROM serving_info") == [(None, 0)]
    assert _query(db, "SELECT count(*) FROM snapshot_changes") == [(0,)]


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_a_publish_writes_only_the_history_that_changed(settings: Settings) -> None:
    """Files by as_of whose evaluation is unchanged are shared with the previous version; a
    re-evaluated day is written again, and a change in how texts render rewrites them all."""
    first = publish(settings)
    con = connect(settings)
    try:
        con.execute(
            "UPDATE marts.evaluations SET run_id = 'run-again' WHERE as_of = DATE '2026-06-29'"
        )
        con.execute(
            "UPDATE marts.eligibility_snapshot SET run_id = 'run-again' "
            "WHERE as_of = DATE '2026-06-29'"
        )
    finally:
        con.close()
    second = publish(settings)
    for name in ("eligibility_snapshot", "rule_results", "enterprise_indicators"):
        kept = [
            _inode(v / name / "2026-06-28.parquet") for v in (first.version_dir, second.version_dir)
        ]
        assert kept[0] == kept[1], name  # one file, two versions
        changed = [
            _inode(v / name / "2026-06-29.parquet") for v in (first.version_dir, second.version_dir)
        ]
        assert changed[0] != changed[1], name
    assert _query(
        second.serving_db,
        "SELECT DISTINCT run_id FROM eligibility_snapshot WHERE as_of = DATE '2026-06-29'",
    ) == [("run-again",)]
    assert second.rows == first.rows

    con = connect(settings)
    try:
        con.execute(
            "INSERT INTO marts.explanation_templates VALUES ('A1', 'pass', 'Revised.', '修订。')"
        )
    finally:
        con.close()
    third = publish(settings)
    assert _inode(third.version_dir / "rule_results" / "2026-06-28.parquet") != _inode(
        second.version_dir / "rule_results" / "2026-06-28.parquet"
    )
    # pruning the first version leaves the files the later ones share readable
    fourth = publish(settings, keep_versions=1)
    assert first.version in fourth.pruned or not first.version_dir.exists()
    assert _query(fourth.serving_db, "SELECT count(*) FROM rule_results") == [
        (first.rows["rule_results"],)
    ]


def test_an_empty_history_publishes_readable_empty_files(tmp_path: Path) -> None:
    from warehouse.settings import load_settings

    settings = load_settings(tmp_path / "empty" / "credit.duckdb")
    connect(settings).close()
    result = publish(settings)
    assert (result.version_dir / "rule_results" / "empty.parquet").exists()
    assert _query(result.serving_db, "SELECT count(*) FROM rule_results") == [(0,)]
    assert "explanation_en" in [r[0] for r in _query(result.serving_db, "DESCRIBE rule_results")]
