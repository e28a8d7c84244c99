"""GX Data Docs of the ingested batches: built beside the warehouse, one page per validated batch,
an index listing them, and nothing in them that would be fetched from the internet."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from expectations import gx_docs
from tests.ingest_helpers import DECLARATIONS, ENTERPRISES, LOAD_DATE, replaced, write_csv
from warehouse.connection import connect
from warehouse.ingest import ingest_file, ingest_paths
from warehouse.settings import Settings, load_settings

EXTERNAL = re.compile(rb"""(?:src|href)\s*=\s*["']?\s*https?://""", re.IGNORECASE)
CSS_EXTERNAL = re.compile(rb"""url\(\s*["']?https?://|@import""", re.IGNORECASE)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection from Python fails the docs build (and so the test)."""

    def refuse(*args, **kwargs):
        raise OSError("network access during a test of offline Data Docs")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def pages(site: Path, kind: str, batch_id: str) -> list[Path]:
    return sorted((site / "validations" / kind / batch_id).rglob(f"{batch_id}.html"))


def assert_offline(folder: Path) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    external = [str(p) for p in files if EXTERNAL.search(p.read_bytes())]
    assert external == [], external
    css = [str(p) for p in files if p.suffix == ".css" and CSS_EXTERNAL.search(p.read_bytes())]
    assert css == [], css


def test_ingested_batches_get_offline_data_docs(tmp_path, no_network):
    settings = load_settings(tmp_path / "wh" / "credit.duckdb")
    assert gx_docs.data_docs_index(settings) is None
    con = connect(settings)
    try:
        good = ingest_file(
            con,
            settings,
            write_csv(tmp_path / "in" / "enterprises.csv", ENTERPRISES),
            load_date=LOAD_DATE,
        )
        # Row 4 repeats row 1's entry_id: the GX quality gate (not pandera) rejects the batch.
        bad_rows = [*DECLARATIONS, list(DECLARATIONS[1])]
        bad = ingest_file(
            con,
            settings,
            write_csv(tmp_path / "in" / "declarations.csv", bad_rows),
            load_date=LOAD_DATE,
        )
        # Rejected by the contract before GX runs: no GX result, so no page.
        early = ingest_file(
            con,
            settings,
            write_csv(
                tmp_path / "in2" / "declarations.csv",
                replaced(DECLARATIONS, 2, "consignee_code", "110000001"),
            ),
            load_date=LOAD_DATE,
        )
        from warehouse.status import status_lines

        status = status_lines(con, settings)
    finally:
        con.close()
    assert (good.status, bad.status, early.status) == ("accepted", "rejected", "rejected")
    assert "unique_key" in (bad.reason or "")

    site = settings.warehouse.parent / "gx" / "data_docs" / "local_site"
    index = gx_docs.data_docs_index(settings)
    assert index == site / "index.html" and index.is_file()
    text = index.read_text(encoding="utf-8")
    for kind, report in (("enterprises", good), ("declarations", bad)):
        assert report.batch_id in text and f"<td>{kind}</td>" in text
        [page] = pages(site, kind, report.batch_id)
        assert page.relative_to(site).as_posix() in text  # the index links to the page
        body = page.read_text(encoding="utf-8")
        assert report.batch_id in body and "Expectation Validation Result" in body
        assert "data_docs" in report.timings
    assert (
        early.batch_id not in text
        and not (site / "validations" / "declarations" / (early.batch_id or "x")).exists()
    )
    assert 'class="cc-failed">failed' in text and 'class="cc-ok">passed' in text
    [bad_page] = pages(site, "declarations", bad.batch_id or "")
    assert "entry_id is unique within the batch" in bad_page.read_text(encoding="utf-8")
    # The results GX produced are kept as files beside the site.
    assert len(list((settings.warehouse.parent / "gx" / "validations").rglob("*.json"))) == 2

    assert_offline(settings.warehouse.parent / "gx")
    assert f"data docs: {index}" in status


def test_ingest_command_builds_the_docs_once_at_the_end(tmp_path, monkeypatch, capsys):
    from flows.ingest_flow import ingest_cli

    settings = load_settings(tmp_path / "wh" / "credit.duckdb")
    folder = tmp_path / "drop"
    write_csv(folder / "enterprises.csv", ENTERPRISES)
    write_csv(folder / "declarations.csv", DECLARATIONS)
    builds: list[Path | None] = []
    real = gx_docs.update_data_docs

    def counted(s: Settings) -> Path | None:
        builds.append(real(s))
        return builds[-1]

    monkeypatch.setattr(gx_docs, "update_data_docs", counted)
    assert ingest_cli(settings, [folder], use_prefect=False) == 0
    index = gx_docs.data_docs_index(settings)
    assert builds == [index] and index is not None  # one build for the two batches
    out = capsys.readouterr().out.splitlines()
    assert f"Data Docs: {index}" in out
    assert out[-1].startswith("2 files: 2 accepted")
    text = index.read_text(encoding="utf-8")
    assert text.count('class="cc-ok">passed') == 2
    site = index.parent
    assert len(list((site / "validations").rglob("*.html"))) == 2

    # Nothing missing: the next update returns the index without rendering anything.
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    assert real(settings) == index
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*.html")} == before

    # A missing page (e.g. a run that stopped before rendering) is rendered by the next update.
    con = connect(settings)
    try:
        [page] = list((site / "validations" / "enterprises").rglob("*.html"))
        page.unlink()
        ingest_paths(con, settings, [folder], load_date=LOAD_DATE)  # duplicates only
    finally:
        con.close()
    assert page.is_file()
    assert_offline(site)


def test_offline_html_strips_external_assets_and_is_idempotent():
    page = (
        "<html><head><title>t</title>"
        '<link rel="stylesheet" href="https://cdn.example/bootstrap.css"/>'
        "<script src='https://cdn.example/jquery.js'></script>"
        "<script>$(function(){})</script></head><body>"
        '<img class="x" src="https://s3.example/logo.png?d=1" alt="Great Expectations"/>'
        '<a href="https://greatexpectations.io">GX</a> <a href="../index.html">Home</a>'
        '<a href="../../expectations/declarations.html">suite</a>'
        "<div style=\"background: url('http://x.example/a.png')\"></div>"
        "<footer><p>newsletter <a href='https://x'>Subscribe</a></p></footer>"
        '<i class="fas fa-check-circle text-success"></i></body></html>'
    )
    out = gx_docs.offline_html(page)
    assert "http" not in out and "<script" not in out and "<footer" not in out
    assert 'href="../index.html"' in out and ">GX</a>" in out
    assert "Great Expectations</span>" in out and "fa-check-circle::before" in out
    assert out.count(gx_docs.MARKER) == 1 and gx_docs.offline_html(out) == out
    css = "a{background:url('https://x.example/a.png') 0 0}@import url(https://x.example/b.css);"
    assert "http" not in gx_docs.offline_css(css)
