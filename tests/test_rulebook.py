"""Rulebooks as data: choice by T, a user's copy, malformed files refused; evaluation reruns."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from flows.cli import main
from transforms.rulebook import RULEBOOK_DIR, bundled_rulebooks, load_rulebook, rulebook_for
from warehouse.errors import UserError

D = dt.date.fromisoformat
CN251 = RULEBOOK_DIR / "CN-251.toml"


def test_bundled_rulebooks_cover_every_day_from_order_251_without_overlap():
    books = sorted(bundled_rulebooks(), key=lambda b: b.valid_from)
    assert [b.id for b in books] == ["CN-251", "CN-282"]
    assert books[0].valid_from == D("2021-11-01")
    assert books[0].valid_to + dt.timedelta(days=1) == books[1].valid_from == D("2026-04-01")
    assert (books[0].status, books[1].status) == ("verified", "provisional")
    for book in books:
        for param in book.params.values():
            assert param.basis and param.verification in ("verified", "provisional")


@pytest.mark.parametrize(
    ("day", "book"),
    [("2021-11-01", "CN-251"), ("2026-03-31", "CN-251"), ("2026-04-01", "CN-282")],
)
def test_rulebook_chosen_by_as_of(day, book):
    assert rulebook_for(D(day)).id == book


@pytest.mark.parametrize("day", ["2021-10-31", "2019-01-01"])
def test_as_of_before_order_251_is_refused(day):
    with pytest.raises(UserError, match="before 2021-11-01"):
        rulebook_for(D(day))


def test_cli_refuses_early_as_of_on_one_line(tmp_path, capsys):
    rc = main(
        [
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "evaluate",
            "--as-of",
            "2021-10-31",
            "--no-prefect",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "before 2021-11-01" in err


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = CN251.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "my-rulebook.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[params.d3_doc_ratio]\nvalue = 0.001",
            '[params.d3_doc_ratio]\nvalue = "x"',
            "d3_doc_ratio.*wrong type",
        ),
        (
            "[params.d6_amount]\nvalue = 10000\n",
            "[params.d6_amountX]\nvalue = 10000\n",
            "d6_amount' is missing",
        ),
        ('verification = "provisional"', 'verification = "maybe"', "verification must be"),
        ('status = "verified"', 'status = "draft"', "status must be"),
        ("[rules.A3]", "[rules.Z3]", "rule 'A3' is missing"),
        ("id = ", "id = = ", "not valid TOML"),
        ("value = 0.7", "value = -0.7", "negative"),
    ],
)
def test_malformed_rulebook_is_refused_with_its_defect(tmp_path, old, new, message):
    path = _copy_with(tmp_path, old, new)
    with pytest.raises(UserError, match=message) as err:
        load_rulebook(path)
    assert str(path) in str(err.value)


def test_missing_rulebook_file_is_refused(tmp_path):
    with pytest.raises(UserError, match="cannot be read"):
        load_rulebook(tmp_path / "nope.toml")


def test_users_copy_changes_the_outcome(world, tmp_path):
    code = world.enterprise("4200000701")
    world.liability(code, "fine", 15_000, "2025-01-31")
    assert world.snapshot(code, "2025-08-01")["assessed_level"] == "dishonest"
    copy = _copy_with(
        tmp_path, "[params.d6_amount]\nvalue = 10000", "[params.d6_amount]\nvalue = 20000"
    )
    world.evaluate("2025-08-01", rulebook_path=copy)
    row = world.con.sql(
        f"SELECT assessed_level, rulebook FROM marts.eligibility_snapshot "
        f"WHERE customs_code = '{code}' AND as_of = DATE '2025-08-01'"
    ).fetchall()
    assert row == [("regular", "CN-251")]


def test_cn_282_copy_can_be_marked_verified(world, tmp_path):
    code = world.enterprise("4200000702")
    text = (RULEBOOK_DIR / "CN-282.toml").read_text(encoding="utf-8")
    path = tmp_path / "CN-282-transcribed.toml"
    path.write_text(text.replace('status = "provisional"', 'status = "verified"', 1), "utf-8")
    world.evaluate("2026-06-30", rulebook_path=path)
    snap = world.con.sql(
        "SELECT provisional, warnings FROM marts.eligibility_snapshot WHERE customs_code = "
        f"'{code}'"
    ).fetchall()
    assert snap == [(False, [])]


def test_rule_results_flag_provisional_parameters(world):
    code = world.enterprise("4200000703")
    world.evaluate("2025-09-30")
    flags = dict(
        world.con.sql(
            f"SELECT rule_id, provisional FROM marts.rule_results WHERE customs_code = '{code}'"
        ).fetchall()
    )
    assert flags["D1"] is False and flags["D6"] is True and flags["A6"] is True
    assert len(flags) == 20


def test_same_data_and_date_twice_gives_identical_rows_and_keeps_history(world):
    code = world.enterprise("4200000704")
    world.declarations(code, 2024, 2000)
    world.case(code, "2025-02-10", 400_000)
    world.liability(code, "vat", 10, "2025-01-01")

    def dump(table: str, day: str) -> list[tuple]:
        rel = world.con.sql(
            f"SELECT * EXCLUDE (run_id) FROM marts.{table} WHERE as_of = DATE '{day}' ORDER BY ALL"
        )
        return rel.fetchall()

    world.evaluate("2025-09-30")
    world.evaluate("2025-06-30")
    first = {
        t: dump(t, "2025-09-30")
        for t in ("eligibility_snapshot", "rule_results", "enterprise_indicators")
    }
    result = world.evaluate("2025-09-30")
    for table, rows in first.items():
        assert dump(table, "2025-09-30") == rows, table
    counts = world.con.sql(
        "SELECT as_of, count(*) FROM marts.eligibility_snapshot GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert counts == [(D("2025-06-30"), 1), (D("2025-09-30"), 1)]
    runs = world.con.sql(
        "SELECT DISTINCT run_id FROM marts.rule_results WHERE as_of = DATE '2025-09-30'"
    ).fetchall()
    assert runs == [(result.run_id,)]
    # every evaluation records its models' seconds (the later ones were ordered by them)
    timed = world.con.sql(
        "SELECT run_id, count(*), bool_and(seconds > 0) FROM ops.model_timings GROUP BY 1"
    ).fetchall()
    assert len(timed) == 3
    assert {(n, ok) for _, n, ok in timed} == {(len(result.model_seconds), True)}


def test_every_rule_has_explanations_in_both_languages(world):
    code = world.enterprise("4200000705")
    world.evaluate("2025-09-30")
    rows = world.con.sql(
        f"SELECT rule_id, explanation_en, explanation_zh, basis FROM marts.rule_results "
        f"WHERE customs_code = '{code}'"
    ).fetchall()
    assert len(rows) == 20
    for rule_id, en, zh, basis in rows:
        assert en and basis and "{" not in en and "{" not in zh, rule_id
        assert re.search(r"[\u4e00-\u9fff]", zh), rule_id


def test_snapshot_columns_are_exactly_the_contract(world):
    world.enterprise("4200000706")
    world.evaluate("2025-09-30")
    cols = world.con.sql("DESCRIBE marts.eligibility_snapshot").fetchall()
    assert [(c[0], c[1]) for c in cols] == [
        ("customs_code", "VARCHAR"),
        ("as_of", "DATE"),
        ("rulebook", "VARCHAR"),
        ("recorded_level", "VARCHAR"),
        ("assessed_level", "VARCHAR"),
        ("dishonest", "BOOLEAN"),
        ("advanced_ready", "BOOLEAN"),
        ("blockers", "VARCHAR[]"),
        ("warnings", "VARCHAR[]"),
        ("earliest_application_date", "DATE"),
        ("score", "DECIMAL(6,2)"),
        ("provisional", "BOOLEAN"),
        ("run_id", "VARCHAR"),
        ("batch_ids", "VARCHAR[]"),
    ]


def test_bundled_rulebooks_are_copies_apart_from_identity_bonus_and_verification(tmp_path):
    a, b = (load_rulebook(RULEBOOK_DIR / f"{i}.toml") for i in ("CN-251", "CN-282"))
    differing = {k for k in a.params if a.value(k) != b.value(k)}
    assert differing == {"a7_bonus_per_item"}
    assert all(p.provisional for p in b.params.values())
    shutil.copy(CN251, tmp_path / "x.toml")
    assert load_rulebook(tmp_path / "x.toml").sha256 == a.sha256


def test_explanations_quote_the_parameters_of_the_rulebook_used(world, tmp_path):
    code = world.enterprise("4200000707")
    world.event(code, "certification_failed", "2025-05-01")
    copy = _copy_with(
        tmp_path, "[params.cooldown_years]\nvalue = 1", "[params.cooldown_years]\nvalue = 2"
    )
    text = copy.read_text(encoding="utf-8")
    old = "[params.breach_lookback_years]\nvalue = 3"
    copy.write_text(text.replace(old, old[:-1] + "4"), encoding="utf-8")
    world.evaluate("2025-10-31", rulebook_path=copy)
    users = world.rule(code, "A2")  # the latest as_of: the copy's evaluation
    a1 = world.rule(code, "A1")
    assert (a1["value"], a1["threshold"], a1["explanation_en"]) == (
        "no breach within 4 years",
        "no dishonest criterion breached within 4 years",
        "No dishonest finding in the last 4 years.",
    )
    bundled = world.rule(code, "A2", "2025-09-30")
    assert bundled["explanation_en"] == (
        "1-year bar after certification_failed on 2025-05-01; apply again from 2026-05-01."
    )
    assert users["expiry_date"] == D("2027-05-01")
    assert users["explanation_en"] == (
        "2-year bar after certification_failed on 2025-05-01; apply again from 2027-05-01."
    )
    assert users["explanation_zh"].startswith("certification_failed on 2025-05-01后2年内不得申请")
    assert users["threshold"] == "none within 2 year(s)"


def test_explanation_placeholders_name_parameters_of_every_bundled_rulebook():
    text = (Path(__file__).parents[1] / "transforms" / "explanations.toml").read_text("utf-8")
    named = set(re.findall(r"\{p:([a-z0-9_]+)\}", text))
    assert {"cooldown_years", "repair_years", "breach_lookback_years"} <= named
    for book in bundled_rulebooks():
        assert named <= set(book.params), book.id
