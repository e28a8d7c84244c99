"""`customs-credit report CUSTOMS_CODE [--as-of D] --out DIR` and `report --portfolio --out DIR`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from reports.source import SOURCES, Source, open_source
from warehouse.errors import UserError
from warehouse.settings import Settings, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("customs_code", nargs="?", help="the enterprise (omit with --portfolio)")
    parser.add_argument("--portfolio", action="store_true", help="one page across all enterprises")
    parser.add_argument(
        "--as-of", default=None, metavar="YYYY-MM-DD", help="default: latest evaluated"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the HTML into")
    parser.add_argument(
        "--from",
        dest="source",
        choices=SOURCES,
        default="auto",
        help="read the serving copy or the warehouse (read-only); auto: serving when published",
    )


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"--as-of must be YYYY-MM-DD, got {text!r}") from exc


def write_enterprise_report(
    settings: Settings,
    customs_code: str,
    out_dir: Path,
    as_of: date | None = None,
    source: Source = "auto",
) -> Path:
    from reports.data import load_enterprise
    from reports.render import render_enterprise, report_name, write_html

    con, described = open_source(settings, source)
    try:
        data = load_enterprise(con, customs_code, as_of)
    finally:
        con.close()
    html = render_enterprise(data, described)
    return write_html(html, out_dir, report_name(data.snapshot["customs_code"], data.as_of))


def write_portfolio_report(
    settings: Settings, out_dir: Path, as_of: date | None = None, source: Source = "auto"
) -> Path:
    from reports.data import load_portfolio
    from reports.render import portfolio_name, render_portfolio, write_html

    con, described = open_source(settings, source)
    try:
        data = load_portfolio(con, as_of)
    finally:
        con.close()
    return write_html(render_portfolio(data, described), out_dir, portfolio_name(data.as_of))


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.warehouse)
    as_of = _parse_date(args.as_of)
    out = Path(args.out)
    if args.portfolio == bool(args.customs_code):
        raise UserError("give either a CUSTOMS_CODE or --portfolio")
    if args.portfolio:
        path = write_portfolio_report(settings, out, as_of, args.source)
    else:
        path = write_enterprise_report(settings, args.customs_code, out, as_of, args.source)
    print(path)
    return 0
