"""The HTML readiness report and portfolio page: content, bilingual text, no external resources."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from flows.cli import main as cli_main
from reports.cli import write_enterprise_report, write_portfolio_report
from tests.serving_fixture import make_settings
from warehouse.publish import publish
from warehouse.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = make_settings(tmp_path_factory.mktemp("report") / "wh")
    publish(s)
    return s


def _assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    lowered = html.lower()
    for needle in ("<script", "src=", "href=", "@import", "url(", "<link", "@font-face"):
        assert needle not in lowered, needle


def _section(html: str, heading: str) -> str:
    """The HTML from a <h2> heading to the next one."""
    start = html.index(heading)
    end = html.find("<h2>", start + 1)
    return html[start : end if end > 0 else None]


def test_enterprise_report_dishonest_importer(settings: Settings, tmp_path: Path) -> None:
    path = write_enterprise_report(settings, "4200000001", tmp_path)
    assert path.name == "readiness-4200000001-2026-06-30.html"
    html = path.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert html.count("<svg") == 3  # timeline, headroom, error rate
    blockers = _section(html, "阻碍事项 <span")
    assert re.findall(r'<span class="rule">(\w+)</span>', blockers) == ["A1", "A6", "D3"]
    assert "2030-02-09" in blockers and "2027-06-15" in blockers
    assert "符合失信标准D3" in blockers and "Dishonest criterion D3 holds" in blockers
    assert "Order 251 Art. 22, Art. 12" in blockers  # legal basis
    assert "深圳海通电子有限公司" in html and "失信企业" in html
    timeline = html[html.index("<svg") : html.index("</svg>")]
    assert "2030-02-09" in timeline and "2027-06-15" in timeline
    warnings = _section(html, "提示事项 <span")
    assert re.findall(r'<span class="rule">(\w+)</span>', warnings) == ["W1", "W2", "W5"]
    headroom = _section(html, "处罚余量 <span")
    assert "1,050,000" in headroom and "1,000,000" in headroom and "限值 limit 2.0" in headroom
    errors = _section(html, "报关差错率 <span")
    assert "2026-Q2" in errors and "限值 limit 3.0%" in errors  # W2 threshold 0.03
    assessment = _section(html, "内控自评 <span")
    assert "TS-2" in assessment and "基本达标 Basically meets" in assessment
    checklist = _section(html, "申请材料清单")
    assert "高级认证企业申请书" in checklist and "最早可于2030-02-09申请" in checklist
    assert "报关差错自查记录" in checklist


def test_enterprise_report_blockers_without_expiry(settings: Settings, tmp_path: Path) -> None:
    html = write_enterprise_report(settings, "4200000002", tmp_path).read_text(encoding="utf-8")
    _assert_self_contained(html)
    blockers = _section(html, "阻碍事项 <span")
    assert re.findall(r'<span class="rule">(\w+)</span>', blockers) == ["A1", "A4", "D6"]
    assert blockers.count("无到期日<br>no expiry") == 2
    assert "须采取行动" in html  # the dashed, open-ended bars of the timeline
    checklist = _section(html, "申请材料清单")
    assert "1笔逾期未缴，共15,000.00元" in checklist
    assert "逾期未报：F-1" in checklist
    changes = _section(html, "近期变化与历史")
    assert "常规企业 → 失信企业" in changes and "New blockers: A1" in changes


def test_enterprise_report_as_of_and_items_to_fix(settings: Settings, tmp_path: Path) -> None:
    path = write_enterprise_report(settings, "4200000003", tmp_path, as_of=date(2026, 6, 28))
    assert path.name.endswith("2026-06-28.html")
    html = path.read_text(encoding="utf-8")
    blockers = _section(html, "阻碍事项 <span")
    assert re.findall(r'<span class="rule">(\w+)</span>', blockers) == ["A2", "A7"]
    assert "2026-06-29" in blockers
    to_fix = html[html.index("需整改条目") : html.index("申请材料清单")]
    assert re.findall(r'<td class="rule">([\w-]+)</td>', to_fix) == ["FS-1", "TS-2", "IC-1", "IC-2"]
    assert "不达标 Fails" in to_fix and "待评 Pending" in to_fix


def test_report_reads_the_warehouse_the_same_way(settings: Settings, tmp_path: Path) -> None:
    """Over the warehouse (temporary views from the same SQL) the report says the same things."""
    a = write_enterprise_report(settings, "4200000002", tmp_path / "a", source="serving")
    b = write_enterprise_report(settings, "4200000002", tmp_path / "b", source="warehouse")

    def body(p: Path) -> str:
        text = p.read_text(encoding="utf-8")
        return text[: text.index("<footer>")]

    assert body(a) == body(b)
    assert "warehouse credit.duckdb" in b.read_text(encoding="utf-8")


def test_portfolio_page(settings: Settings, tmp_path: Path) -> None:
    path = write_portfolio_report(settings, tmp_path)
    assert path.name == "portfolio-2026-06-30.html"
    html = path.read_text(encoding="utf-8")
    _assert_self_contained(html)
    apply_now = _section(html, "立即申请 <span")
    assert re.findall(r"<td>(42\d{8})</td>", apply_now) == ["4200000004"]  # 05 is advanced
    top = _section(html, "主要阻碍事项")
    rows = re.findall(r'<span class="rule">(\w+)</span>.*?<td class="num">(\d+)</td>', top, re.S)
    assert rows == [("A1", "2"), ("A4", "1"), ("A6", "1"), ("A7", "1")]
    changes = write_portfolio_report(settings, tmp_path, as_of=date(2026, 6, 29))
    text = _section(changes.read_text(encoding="utf-8"), "较上次评估的变化")
    assert "became ready" in text and "4200000004" in text


def test_cli_report(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = ["--warehouse", str(settings.warehouse)]
    assert cli_main([*wh, "report", "4200000004", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "readiness-4200000004-2026-06-30.html").exists()
    assert cli_main([*wh, "report", "--portfolio", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "portfolio-2026-06-30.html").exists()
    assert cli_main([*wh, "report", "4299999999", "--out", str(tmp_path)]) == 2
    assert cli_main([*wh, "report", "4200000001", "--as-of", "2026-01-01", "--out", "x"]) == 2
    assert cli_main([*wh, "report", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "4299999999 is not on record" in err and "not evaluated as of 2026-01-01" in err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_report_renders_in_headless_chromium(settings: Settings, tmp_path: Path) -> None:
    html = write_enterprise_report(settings, "4200000001", tmp_path)
    png = tmp_path / "report.png"
    subprocess.run(
        [str(ROOT / "scripts" / "screenshot_report.sh"), str(html), str(png), "1100x1600"],
        check=True,
        timeout=120,
        capture_output=True,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
