"""The sample-data generator: determinism, contract shape, code formats, formats round-trip, and
that the scenarios really carry the facts the credit rules look at."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main as cli_main
from sampledata import declarations as decl_mod
from sampledata import writers
from sampledata.dates import add_months
from sampledata.generator import SCENARIO_FILE, generate, today_shanghai
from sampledata.scenarios import SCENARIOS
from warehouse.contract import KINDS, PATTERNS

AS_OF = "2026-11-26"
T = date.fromisoformat(AS_OF)


def read_csv(path: Path, encoding: str = "utf8") -> pl.DataFrame:
    """Every column as text, exactly as written."""
    raw = path.read_bytes()
    if encoding != "utf8":
        raw = raw.decode(encoding).encode("utf-8")
    return pl.read_csv(io.BytesIO(raw), infer_schema=False)


def load_all(out: Path) -> dict[str, pl.DataFrame]:
    return {k: read_csv(out / f"{k}.csv") for k in KINDS}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("gen_small")
    return out, generate(out, 60, 5000, seed=11, fmt="csv", as_of=AS_OF)


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pl.DataFrame]]:
    out = tmp_path_factory.mktemp("gen_mix")
    generate(out, 200, 20_000, seed=5, fmt="csv", as_of=AS_OF)
    return out, load_all(out)


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 30, 2000, seed=3, as_of=AS_OF)
    generate(b, 30, 2000, seed=3, as_of=AS_OF)
    generate(c, 30, 2000, seed=4, as_of=AS_OF)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) == 10  # nine kinds + _scenarios.csv
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("declarations.csv", "enterprises.csv", "liabilities.csv"):
        assert (a / name).read_bytes() != (c / name).read_bytes(), name


def test_every_kind_written_with_contract_columns(small: tuple[Path, dict[str, int]]) -> None:
    out, counts = small
    assert list(counts) == list(KINDS)
    assert counts["enterprises"] == 60 and counts["declarations"] == 5000
    for kind, spec in KINDS.items():
        df = read_csv(out / f"{kind}.csv")
        assert df.columns == spec.column_names, kind
        assert df.height == counts[kind] > 0, kind
    scen = read_csv(out / SCENARIO_FILE)
    assert scen.columns == ["customs_code", "scenario"] and scen.height == 60


def test_codes_match_contract_patterns(small: tuple[Path, dict[str, int]]) -> None:
    out, _ = small
    checked = 0
    for kind, spec in KINDS.items():
        df = read_csv(out / f"{kind}.csv")
        for col in spec.columns:
            if col.type in PATTERNS:
                bad = df.filter(~pl.col(col.name).str.contains(f"^{PATTERNS[col.type]}$"))
                assert bad.height == 0, (kind, col.name, bad.head(3))
                checked += 1
            if col.values and col.name in df.columns:
                values = set(df.get_column(col.name).drop_nulls().unique())
                assert values <= set(col.values), (kind, col.name, values - set(col.values))
    assert checked == 14  # every code-typed column of the contract
    ent = read_csv(out / "enterprises.csv")
    assert ent.get_column("customs_code").is_unique().all()
    assert ent.get_column("uscc").is_unique().all()
    assert ent.get_column("name").str.contains("有限").all()


def test_uscc_check_character_is_valid(small: tuple[Path, dict[str, int]]) -> None:
    from sampledata.codes import uscc_check

    for code in read_csv(small[0] / "enterprises.csv").get_column("uscc"):
        assert uscc_check(code[:17]) == code[17]
    assert uscc_check("91350100M000100Y4") == "3"  # a published example (GB 32100-2015 style)


def test_declarations_entry_ids_dates_and_values(small: tuple[Path, dict[str, int]]) -> None:
    d = read_csv(small[0] / "declarations.csv")
    assert d.get_column("entry_id").is_unique().all()
    digit9 = d.get_column("entry_id").str.slice(8, 1)
    assert (digit9 == d.get_column("ie_flag").replace_strict({"I": "1", "E": "0"})).all()
    days = d.get_column("declare_date").str.to_date()
    assert days.max() <= T
    assert days.min() > add_months(T, -36)
    assert (d.get_column("entry_id").str.slice(4, 4) == days.dt.year().cast(pl.String)).all()
    money = d.get_column("value_cny")
    assert money.str.contains(r"^\d+\.\d{2}$").all()
    # self-declared and broker-declared rows both exist
    assert (d["consignee_code"] == d["declarant_code"]).any()
    assert (d["consignee_code"] != d["declarant_code"]).any()
    assert d.get_column("trade_mode").value_counts(sort=True)["trade_mode"][0] == "0110"


def test_brokers_declare_and_never_consign(mix: tuple[Path, dict[str, pl.DataFrame]]) -> None:
    _, t = mix
    ent, d = t["enterprises"], t["declarations"]
    brokers = set(ent.filter(pl.col("enterprise_type") == "customs_broker")["customs_code"])
    assert 0.12 <= len(brokers) / ent.height <= 0.30
    foreign = d.filter(pl.col("consignee_code") != pl.col("declarant_code"))
    assert set(foreign["declarant_code"]) <= brokers
    assert not set(d["consignee_code"]) & brokers


def test_seasonality_new_year_dip_and_autumn_peak(
    mix: tuple[Path, dict[str, pl.DataFrame]],
) -> None:
    d = mix[1]["declarations"].with_columns(pl.col("declare_date").str.to_date())
    per_month = (
        d.filter(pl.col("declare_date").dt.year() == 2025)
        .group_by(pl.col("declare_date").dt.month().alias("m"))
        .len()
    )
    n = dict(zip(per_month["m"], per_month["len"], strict=True))
    assert n[2] < 0.75 * n[4]  # CNY 2025-01-29: holiday week plus slow restart in February
    assert max(n[9], n[10], n[11]) > 1.1 * n[4]


def test_changes_reference_existing_declarations(small: tuple[Path, dict[str, int]]) -> None:
    out, _ = small
    d = read_csv(out / "declarations.csv")
    ch = read_csv(out / "declaration_changes.csv")
    assert ch.height > 0 and ch.get_column("change_id").is_unique().all()
    j = ch.join(d, on="entry_id", how="left")
    assert j.get_column("declare_date").null_count() == 0
    req = j.get_column("requested_date").str.to_date()
    assert (req >= j.get_column("declare_date").str.to_date()).all() and req.max() <= T
    assert set(ch["error_recorded"]) == {"true", "false"}
    cancelled = j.filter(pl.col("change_type") == "cancel")
    assert (cancelled["status"] == "cancelled").all()
    assert (
        ch.filter(pl.col("tax_impact_cny").is_not_null())["tax_impact_cny"]
        .str.contains(r"^-?\d+\.\d{2}$")
        .all()
    )


def test_small_kinds_obey_contract_rules(mix: tuple[Path, dict[str, pl.DataFrame]]) -> None:
    _, t = mix
    c = t["cases"]
    inv = pl.col("status") == "investigating"
    assert (
        c.filter(
            ~inv & (pl.col("decided_date").is_null() | pl.col("penalty_kind").is_null())
        ).height
        == 0
    )
    assert c.filter(inv & pl.col("decided_date").is_not_null()).height == 0
    assert c.filter(pl.col("decided_date") < pl.col("opened_date")).height == 0
    assert c.filter(pl.col("closed_date") < pl.col("opened_date")).height == 0
    assert c.filter((pl.col("penalty_kind") == "fine") & pl.col("fine_cny").is_null()).height == 0
    crimes = pl.col("case_type").is_in(["smuggling_crime", "serious_safety_crime"])
    assert c.filter(~crimes & pl.col("judgment_effective_date").is_not_null()).height == 0
    assert c.get_column("case_id").is_unique().all()
    for kind, cols in (
        ("cases", ["opened_date", "decided_date", "closed_date", "judgment_effective_date"]),
        ("liabilities", ["paid_date"]),
        ("certification_events", ["event_date"]),
        ("filings", ["filed_date"]),
        ("control_assessments", ["assessed_date"]),
    ):
        for col in cols:
            assert t[kind][col].drop_nulls().str.to_date().max() <= T, (kind, col)
    liab = t["liabilities"]
    assert liab["liability_id"].is_unique().all()
    assert (liab["amount_cny"].cast(pl.Decimal(18, 2)) > 0).all()
    ca = t["control_assessments"]
    assert not ca.select(["customs_code", "item_code", "assessed_date"]).is_duplicated().any()
    prefixes = set(ca["item_code"].str.extract(r"^([A-Z]{2})-", 1))
    assert prefixes == {"IC", "FS", "CO", "TS", "AD"}
    assert set(ca["department"]) == set(KINDS["control_assessments"].column("department").values)
    fin = t["financials"]
    assert not fin.select(["customs_code", "fiscal_year"]).is_duplicated().any()
    years = fin.group_by("customs_code").len()["len"]
    assert set(years) <= {3, 4} and years.len() == t["enterprises"].height
    assert (fin["total_assets"].cast(pl.Decimal(18, 2)) > 0).all()
    assert t["filings"]["filing_id"].is_unique().all()


def test_every_scenario_and_level_present(mix: tuple[Path, dict[str, pl.DataFrame]]) -> None:
    out, t = mix
    scen = read_csv(out / SCENARIO_FILE)
    assert set(scen["scenario"]) == {s.name for s in SCENARIOS}
    levels = t["enterprises"]["recorded_level"].value_counts()
    n = dict(zip(levels["recorded_level"], levels["count"], strict=True))
    assert n["regular"] > t["enterprises"].height / 2
    assert {"advanced", "certified", "dishonest", "seriously_dishonest"} <= set(n)
    advanced = t["enterprises"].filter(pl.col("recorded_level") == "advanced")
    assert advanced["level_since"].null_count() == 0


def _scenario_codes(out: Path, name: str) -> list[str]:
    s = read_csv(out / SCENARIO_FILE)
    return s.filter(pl.col("scenario") == name)["customs_code"].to_list()


def test_d3_scenarios_sit_at_the_thresholds(mix: tuple[Path, dict[str, pl.DataFrame]]) -> None:
    """Counted penalties (supervision/tax violations decided in W1, not disclosed, intentional)
    against previous-year documents, as credit-rules.md D3 defines them."""
    out, t = mix
    d = t["declarations"].with_columns(pl.col("declare_date").str.to_date())
    docs = d.filter(pl.col("declare_date").dt.year() == T.year - 1).group_by("consignee_code").len()
    docs_of = dict(zip(docs["consignee_code"], docs["len"], strict=True))
    c = t["cases"].with_columns(pl.col("decided_date").str.to_date())
    counted = (
        c.filter(
            pl.col("case_type").is_in(["supervision_violation", "tax_violation"])
            & (pl.col("decided_date") > add_months(T, -12))
            & (pl.col("status") != "revoked")
            & (pl.col("voluntary_disclosure") == "false")
            & (pl.col("intentional") != "no")
        )
        .group_by("customs_code")
        .agg(pl.len().alias("n"), pl.col("fine_cny").cast(pl.Decimal(18, 2)).sum().alias("f"))
    )
    pen = {r["customs_code"]: (r["n"], float(r["f"])) for r in counted.iter_rows(named=True)}
    for name in ("d3_over", "d3_under_count", "d3_under_amount"):
        for code in _scenario_codes(out, name):
            n, f = pen[code]
            docs_py = docs_of.get(code, 0)
            holds = n > 0.001 * docs_py and f > 1_000_000
            assert holds == (name == "d3_over"), (name, code, n, f, docs_py)
            assert 900_000 < f < 1_100_000  # near the amount threshold
            if name == "d3_under_count" and docs_py >= 1000:
                assert n == docs_py // 1000 and f > 1_000_000


def test_dishonest_and_blocker_scenarios_carry_their_facts(
    mix: tuple[Path, dict[str, pl.DataFrame]],
) -> None:
    out, t = mix
    liab = t["liabilities"].with_columns(pl.col("due_date", "paid_date").str.to_date())
    unpaid = liab.filter(pl.col("paid_date").is_null() & (pl.col("due_date") < T))
    for code in _scenario_codes(out, "tax_arrears"):
        rows = unpaid.filter(
            (pl.col("customs_code") == code) & pl.col("kind").is_in(["duty", "vat"])
        )
        assert any(add_months(due, 3) < T for due in rows["due_date"]), code
    for code in _scenario_codes(out, "unpaid_fines"):
        rows = unpaid.filter((pl.col("customs_code") == code) & (pl.col("kind") == "fine"))
        old = rows.filter(
            pl.col("due_date").map_elements(lambda x: add_months(x, 6) < T, pl.Boolean)
        )
        assert float(old["amount_cny"].cast(pl.Float64).sum()) > 10_000, code
    for code in _scenario_codes(out, "overdue_liability"):
        rows = unpaid.filter(pl.col("customs_code") == code)
        assert rows.height == 1 and add_months(rows["due_date"][0], 3) >= T
    cases = t["cases"]
    for code in _scenario_codes(out, "open_case"):
        assert (cases.filter(pl.col("customs_code") == code)["status"] == "investigating").all()
    for code in _scenario_codes(out, "smuggling_act"):
        act = cases.filter(
            (pl.col("customs_code") == code) & (pl.col("case_type") == "smuggling_act")
        )
        assert act["decided_date"].str.to_date().min() > T - timedelta(days=730)
    ev = t["certification_events"].with_columns(pl.col("event_date").str.to_date())
    for name, event in (
        ("cooldown_failed", "certification_failed"),
        ("cooldown_downgraded", "downgraded"),
    ):
        for code in _scenario_codes(out, name):
            hit = ev.filter((pl.col("customs_code") == code) & (pl.col("event_type") == event))
            assert hit.height == 1 and hit["event_date"][0] > add_months(T, -12)
    fin = t["financials"].with_columns(
        (
            pl.col("total_liabilities").cast(pl.Float64) / pl.col("total_assets").cast(pl.Float64)
        ).alias("lev")
    )
    for code in _scenario_codes(out, "high_leverage"):
        last3 = fin.filter(
            (pl.col("customs_code") == code) & (pl.col("fiscal_year").cast(pl.Int32) >= T.year - 3)
        )
        assert last3.height == 3 and (last3["lev"] > 0.95).all()
    assert (
        fin.filter(~pl.col("customs_code").is_in(_scenario_codes(out, "high_leverage")))["lev"]
        <= 0.95
    ).all()


def test_error_prone_enterprises_exceed_three_percent(
    mix: tuple[Path, dict[str, pl.DataFrame]],
) -> None:
    """W2's rate: error-recorded changes requested in W1 over declarations dated in W1, per
    consignee (importers) or declarant (brokers)."""
    out, t = mix
    w1_start = add_months(T, -12)
    d = t["declarations"].with_columns(pl.col("declare_date").str.to_date())
    ch = t["declaration_changes"].with_columns(pl.col("requested_date").str.to_date())
    errs = ch.filter((pl.col("error_recorded") == "true") & (pl.col("requested_date") > w1_start))
    errs = errs.join(d, on="entry_id")
    brokers = t["enterprises"].filter(pl.col("enterprise_type") == "customs_broker")
    broker_codes = set(brokers["customs_code"])

    def rate(code: str) -> tuple[int, float]:
        col = "declarant_code" if code in broker_codes else "consignee_code"
        n = d.filter((pl.col(col) == code) & (pl.col("declare_date") > w1_start)).height
        e = errs.filter(pl.col(col) == code).height
        return n, e / n if n else 0.0

    prone = _scenario_codes(out, "error_prone")
    rates = [rate(c) for c in prone]
    assert all(r > 0.03 for n, r in rates if n >= 40), rates
    assert any(n >= 40 for n, _ in rates)
    others = [rate(c) for c in t["enterprises"]["customs_code"] if c not in prone]
    busy = sorted(r for n, r in others if n >= 40)
    assert busy[len(busy) // 2] < 0.015


def test_xlsx_round_trip_equals_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "XLSX_MAX_DATA_ROWS", 1000)  # force the split on a small file
    generate(tmp_path / "csv", 20, 2500, seed=9, fmt="csv", as_of=AS_OF)
    counts = generate(tmp_path / "x", 20, 2500, seed=9, fmt="xlsx", as_of=AS_OF)
    x = tmp_path / "x"
    parts = sorted(p.name for p in x.glob("declarations*.xlsx"))
    assert parts == [f"declarations-part{i}.xlsx" for i in (1, 2, 3)]
    decl = pl.concat([pl.read_excel(x / p, engine="calamine") for p in parts])
    assert decl.height == counts["declarations"] == 2500
    ref = read_csv(tmp_path / "csv" / "declarations.csv")
    assert decl.columns == ref.columns
    assert decl["entry_id"].dtype == pl.String and decl["customs_district"].dtype == pl.String
    assert decl["entry_id"].to_list() == ref["entry_id"].to_list()
    assert decl["declare_date"].to_list() == ref["declare_date"].to_list()  # ISO text cells
    assert [f"{v:.2f}" for v in decl["value_cny"]] == ref["value_cny"].to_list()
    for kind in KINDS:
        if kind == "declarations":
            continue
        df = pl.read_excel(x / f"{kind}.xlsx", engine="calamine")
        assert df.columns == KINDS[kind].column_names and df.height == counts[kind], kind
    # read as the ingestion does (every cell as text): the same strings as the CSV
    cases = pl.read_excel(x / "cases.xlsx", engine="calamine", infer_schema_length=0)
    ref_cases = read_csv(tmp_path / "csv" / "cases.csv")
    assert cases["opened_date"].to_list() == ref_cases["opened_date"].to_list()
    assert cases["voluntary_disclosure"].to_list() == ref_cases["voluntary_disclosure"].to_list()
    assert [float(v) for v in cases["fine_cny"].drop_nulls()] == [
        float(v) for v in ref_cases["fine_cny"].drop_nulls()
    ]
    ent = pl.read_excel(x / "enterprises.xlsx", engine="calamine")
    assert (
        ent["customs_code"].to_list()
        == read_csv(tmp_path / "csv" / "enterprises.csv")["customs_code"].to_list()
    )


def test_gbk_csv_uses_chinese_headers_and_same_values(tmp_path: Path) -> None:
    generate(tmp_path / "u", 20, 1500, seed=2, fmt="csv", as_of=AS_OF)
    generate(tmp_path / "g", 20, 1500, seed=2, fmt="csv-gbk", as_of=AS_OF)
    raw = (tmp_path / "g" / "enterprises.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").startswith("海关编码,统一社会信用代码,企业名称")
    for kind in KINDS:
        g = read_csv(tmp_path / "g" / f"{kind}.csv", encoding="gb18030")
        u = read_csv(tmp_path / "u" / f"{kind}.csv")
        aliases = {c.alias_zh: c.name for c in KINDS[kind].columns if c.alias_zh}
        assert g.rename(aliases).equals(u), kind
    assert "报关单号" in read_csv(tmp_path / "g" / "declarations.csv", "gb18030").columns


def test_parquet_types_and_values(tmp_path: Path) -> None:
    generate(tmp_path / "u", 20, 1500, seed=2, fmt="csv", as_of=AS_OF)
    generate(tmp_path / "p", 20, 1500, seed=2, fmt="parquet", as_of=AS_OF)
    cases = pl.read_parquet(tmp_path / "p" / "cases.parquet")
    assert cases.schema["fine_cny"] == pl.Decimal(18, 2)
    assert (
        cases.schema["opened_date"] == pl.Date
        and cases.schema["voluntary_disclosure"] == pl.Boolean
    )
    decl = pl.read_parquet(tmp_path / "p" / "declarations.parquet")
    assert decl.schema["entry_id"] == pl.String and decl.schema["trade_mode"] == pl.String
    ref = read_csv(tmp_path / "u" / "declarations.csv")
    assert decl.cast(pl.String).equals(ref)
    fin = pl.read_parquet(tmp_path / "p" / "financials.parquet")
    assert fin.schema["fiscal_year"] == pl.Int32


def test_many_chunks_stream_into_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decl_mod, "CHUNK_ROWS", 700)
    counts = generate(tmp_path, 15, 3000, seed=1, fmt="csv", as_of=AS_OF)
    text = (tmp_path / "declarations.csv").read_text()
    assert text.count("entry_id,consignee_code") == 1  # one header
    d = read_csv(tmp_path / "declarations.csv")
    assert d.height == counts["declarations"] == 3000
    assert d["entry_id"].is_unique().all()
    ch = read_csv(tmp_path / "declaration_changes.csv")
    assert ch["entry_id"].is_in(d["entry_id"].implode()).all()


def test_rerun_clears_stale_outputs_and_leaves_other_files(tmp_path: Path) -> None:
    generate(tmp_path, 10, 300, seed=1, fmt="parquet", as_of=AS_OF)
    (tmp_path / "notes.txt").write_text("keep me")
    generate(tmp_path, 10, 300, seed=1, fmt="csv", as_of=AS_OF)
    names = {p.name for p in tmp_path.iterdir()}
    assert not any(n.endswith(".parquet") for n in names)
    assert "notes.txt" in names and not any(n.startswith(".") for n in names)


def test_leap_day_default_as_of_and_tiny_populations(tmp_path: Path) -> None:
    counts = generate(tmp_path / "leap", 30, 400, seed=8, as_of="2028-02-29")
    assert counts["declarations"] == 400
    d = read_csv(tmp_path / "leap" / "declarations.csv")["declare_date"].str.to_date()
    assert d.max() <= date(2028, 2, 29) and d.min() >= date(2025, 3, 1)
    counts = generate(tmp_path / "today", 3, 50, seed=1)
    assert (
        read_csv(tmp_path / "today" / "declarations.csv")["declare_date"].str.to_date().max()
        <= today_shanghai()
    )
    one = generate(tmp_path / "one", 1, 20, seed=1, as_of=AS_OF)
    assert one["enterprises"] == 1 and one["declarations"] == 20
    none = generate(tmp_path / "zero", 5, 0, seed=1, as_of=AS_OF)
    assert none["declarations"] == 0
    assert (
        read_csv(tmp_path / "zero" / "declarations.csv").columns
        == KINDS["declarations"].column_names
    )


def test_cli_generate_and_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["generate", "--out", str(tmp_path), "--enterprises", "12", "--declarations", "800"]
    assert cli_main([*args, "--seed", "4", "--as-of", AS_OF, "--format", "csv-gbk"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"declarations\s+800 rows", printed)
    assert cli_main([*args, "--as-of", "26/11/2026"]) == 2
    assert "--as-of must be YYYY-MM-DD" in capsys.readouterr().err
    assert cli_main(["generate", "--out", str(tmp_path), "--enterprises", "0"]) == 2
