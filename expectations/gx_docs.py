"""Great Expectations Data Docs of the quality gate, built from files and readable offline.

Layout, beside the warehouse file (`<settings.warehouse.parent>/gx/`):
  validations/<suite>/<batch_id>/<run_time>/<batch_id>.json   GX validation results (one per batch)
  data_docs/local_site/index.html                             the Data Docs site
  data_docs/local_site/validations/.../<batch_id>.html         one page per validated batch

The ingestion keeps the result GX produced for each batch it judged (`keep_result`, one small JSON
file) and renders the pages that are missing, plus the index, with `update_data_docs` (GX's
`build_data_docs` on a context whose validation results store and site are those folders). That
can run per batch or once per ingest command; pages missing for any reason are rendered by the next
call, from whichever process.

GX's pages load CSS and JS from CDNs. Every page written is post-processed: <script> elements
(the libraries they need are not there), external <link> and <img> elements and http(s) src/href
attributes are removed, and a small inline style replaces Bootstrap and Font Awesome. The index is
ours, a static table: GX's index is filled by JavaScript from CDNs (empty offline) and rendering
it reads every stored result. Nothing is fetched from the internet, at build time or when a page
is opened.

`data_docs_index` and the path helpers import nothing heavy; the rest needs GX, which the quality
gate has loaded already in the processes that call it.
"""

from __future__ import annotations

import datetime
import functools
import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from warehouse.settings import Settings

SITE_NAME = "local_site"
INDEX_LIMIT = 200  # validations listed on the index page (newest first); older pages stay on disk
MARKER = "<!-- customs-credit: offline -->"

log = logging.getLogger(__name__)


def docs_root(settings: Settings) -> Path:
    """The GX folder beside the warehouse file."""
    return Path(settings.warehouse).parent / "gx"


def site_dir(settings: Settings) -> Path:
    return docs_root(settings) / "data_docs" / SITE_NAME


def data_docs_index(settings: Settings) -> Path | None:
    """The Data Docs index.html, if it has been built."""
    index = site_dir(settings) / "index.html"
    return index if index.is_file() else None


def keep_result(settings: Settings, result: Any, *, batch_id: str) -> Path:
    """Store one GX validation result (an ExpectationSuiteValidationResult) under the batch id.

    The run name and the batch identifier are the ledger's batch id, so the page and the index
    name the batch as ops.ingest_ledger does. Returns the JSON file written."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations.gx_context import LOCK

    run_id = RunIdentifier(run_name=batch_id, run_time=datetime.datetime.now(datetime.UTC))
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=run_id,
        batch_identifier=batch_id,
    )
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    result.meta["batch_id"] = batch_id
    with LOCK:
        _context(str(docs_root(settings))).validation_results_store.set(key, result)
    return _results_dir(docs_root(settings)).joinpath(*key.to_tuple()).with_suffix(".json")


def update_data_docs(settings: Settings) -> Path | None:
    """Render the pages of stored results that have none yet (GX `build_data_docs`), make the
    files written offline, and rewrite the index. Returns the index (None when no result was
    ever stored).

    Without missing pages (and with an index) it returns at once, without importing GX."""
    root = docs_root(settings)
    site = site_dir(settings)
    index = site / "index.html"
    results = sorted(_results_dir(root).rglob("*.json")) if _results_dir(root).is_dir() else []
    if not results:
        return data_docs_index(settings)
    missing = [p for p in results if not _page_of(root, site, p).is_file()]
    if not missing and index.is_file():
        return index
    if missing:
        from great_expectations.data_context.types.resource_identifiers import (
            ValidationResultIdentifier,
        )

        from expectations.gx_context import LOCK

        keys = [
            ValidationResultIdentifier.from_tuple(
                p.relative_to(_results_dir(root)).with_suffix("").parts
            )
            for p in missing
        ]
        with LOCK:
            # GX's own index page is a bootstrap-table filled by JavaScript from CDNs, empty
            # offline, and rendering it reads every result (+0.2 s at 200): we write our own.
            _context(str(root)).build_data_docs(
                site_names=[SITE_NAME], resource_identifiers=keys, build_index=False
            )
        make_offline(site, [_page_of(root, site, p) for p in missing])
    _write_atomically(index, index_html(_index_rows(root, site, results), len(results)))
    return index


def update_data_docs_quietly(settings: Settings) -> Path | None:
    """update_data_docs for callers whose work must not fail because of the docs."""
    try:
        return update_data_docs(settings)
    except Exception as exc:  # the docs are a view; the results are in ops.quality_results
        log.warning("Data Docs not updated: %s: %s", type(exc).__name__, exc)
        return data_docs_index(settings)


# --- GX context ---------------------------------------------------------------------------------


def _results_dir(root: Path) -> Path:
    return root / "validations"


def _page_of(root: Path, site: Path, result: Path) -> Path:
    return (site / "validations" / result.relative_to(_results_dir(root))).with_suffix(".html")


@functools.lru_cache(maxsize=4)
def _context(root: str) -> Any:
    """An ephemeral GX context whose validation results store and Data Docs site are folders
    under `root` (no great_expectations.yml; datasources stay in the quality gate's context)."""
    from expectations.gx_context import gx_runtime

    gx_runtime()  # offline environment, patches, the import itself
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(_results_dir(Path(root))),
        },
    }
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        # Validation pages only: no suite is stored, no profiling runs (each would list the store).
        "site_section_builders": {"expectations": "None", "profiling": "None"},
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(Path(root) / "data_docs" / SITE_NAME),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={SITE_NAME: site},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return EphemeralDataContext(project_config=config)


# --- offline post-processing --------------------------------------------------------------------

_EXTERNAL = r"""["']?https?://"""
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*" + _EXTERNAL + r"[^>]*>", re.IGNORECASE)
_IMG = re.compile(r"<img\b[^>]*\bsrc\s*=\s*" + _EXTERNAL + r"[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\balt\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_ATTR = re.compile(
    r"""\s(?:src|href|srcset|action|poster)\s*=\s*(?:"https?://[^"]*"|'https?://[^']*'|https?://[^\s>]*)""",
    re.IGNORECASE,
)
_FOOTER = re.compile(r"<footer\b.*?</footer\s*>", re.IGNORECASE | re.DOTALL)  # GX newsletter
# This site renders no expectation suite pages: links to them would be dead.
_SUITE_LINK = re.compile(r"""\shref\s*=\s*["'](?:\.\./)*expectations/[^"']*["']""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*["']?https?://[^)]*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?https?://[^;]*;""", re.IGNORECASE)

# Instead of Bootstrap and Font Awesome: legible tables, and the status icons as characters.
STYLE = """<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1rem 2rem;
       color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
ul.nav { list-style: none; padding-left: 0; }
.alert { padding: .5rem .75rem; background: #f4f4f4; border: 1px solid #ddd; margin: .5rem 0; }
.text-success, .cc-ok { color: #1a7f37; } .text-danger, .cc-failed { color: #c62828; }
.text-warning { color: #9a6700; } .text-muted, .cc-brand { color: #666; }
.fa-check-circle::before { content: "\\2714"; } .fa-times::before { content: "\\2718"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.fa-question-circle::before { content: "?"; }
pre, code { white-space: pre-wrap; font-size: .9em; }
/* controls that need the JavaScript removed */
.card:has(.btn-group-toggle), button[onclick] { display: none; }
</style>"""


def offline_html(text: str) -> str:
    """GX page HTML without anything fetched from the internet, with an inline style instead."""
    text = _SCRIPT.sub("", text)  # external libraries, and inline code that needs them
    text = _LINK.sub("", text)
    text = _IMG.sub(_image_text, text)
    text = _ATTR.sub("", text)  # links to GX's web site and anything else left
    text = _SUITE_LINK.sub("", _FOOTER.sub("", text))
    text = _CSS_URL.sub("none", text)
    if MARKER not in text:
        head = re.search(r"</head\s*>", text, re.IGNORECASE)
        block = f"{MARKER}\n{STYLE}\n"
        text = text[: head.start()] + block + text[head.start() :] if head else block + text
    return text


def offline_css(text: str) -> str:
    return _CSS_URL.sub("none", _CSS_IMPORT.sub("", text))


def _image_text(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group(0))
    return f'<span class="cc-brand">{alt.group(1) if alt else ""}</span>'


def make_offline(site: Path, pages: list[Path]) -> None:
    """Post-process `pages` (the ones GX just rendered) and the site's CSS, which GX copies again
    on every build. Idempotent."""
    for path in [*pages, *sorted((site / "static").rglob("*.css"))]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = offline_css(text) if path.suffix == ".css" else offline_html(text)
        if new != text:
            path.write_text(new, encoding="utf-8")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _index_rows(root: Path, site: Path, results: list[Path]) -> list[dict[str, Any]]:
    """The newest INDEX_LIMIT stored results that have a page: what the index lists."""
    rows = []
    for path in results:
        page = _page_of(root, site, path)
        if not page.is_file():
            continue
        key = path.relative_to(_results_dir(root)).with_suffix("").parts
        *suite, run_name, run_time, batch = key
        rows.append(
            {
                "suite": ".".join(suite),
                "run_name": run_name,
                "run_time": run_time,
                "batch": batch,
                "page": page.relative_to(site).as_posix(),
                "result": path,
            }
        )
    rows.sort(key=lambda r: r["run_time"], reverse=True)
    rows = rows[:INDEX_LIMIT]
    for r in rows:
        try:
            doc = json.loads(r.pop("result").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        stats = doc.get("statistics") or {}
        r["success"] = doc.get("success")
        r["evaluated"] = stats.get("evaluated_expectations")
        r["failed"] = stats.get("unsuccessful_expectations")
    return rows


def index_html(rows: list[dict[str, Any]], total: int) -> str:
    """The site's index: one row per validated batch (newest first), linking to its GX page."""

    def when(run_time: str) -> str:
        try:
            t = datetime.datetime.strptime(run_time, "%Y%m%dT%H%M%S.%fZ")
        except ValueError:
            return run_time
        return t.strftime("%Y-%m-%d %H:%M:%S UTC")

    def status(ok: bool | None) -> str:
        if ok is None:
            return "?"
        return (
            '<span class="cc-ok">passed</span>' if ok else '<span class="cc-failed">failed</span>'
        )

    shown = (
        f"{total} validation results"
        if len(rows) == total
        else f"the newest {len(rows)} of {total} validation results (older pages stay in "
        "validations/)"
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<title>Data Docs: customs-credit quality gate</title>",
        '<link rel="icon" href="static/images/favicon.ico">',
        MARKER,
        STYLE,
        "</head>",
        "<body>",
        "<h1>Data Docs: quality gate</h1>",
        f"<p>Great Expectations validation results of the ingested batches: {shown}. One page per "
        "batch, named by its batch id (ops.ingest_ledger). Rendered for offline reading: these "
        "pages load nothing from the internet.</p>",
        '<table class="cc-validations">',
        "<thead><tr><th>Status</th><th>Run time</th><th>Suite (kind)</th><th>Batch id</th>"
        "<th>Expectations</th><th>Failed</th></tr></thead>",
        "<tbody>",
    ]
    for r in rows:
        page = html.escape(r["page"], quote=True)
        out.append(
            f"<tr><td>{status(r['success'])}</td><td>{html.escape(when(r['run_time']))}</td>"
            f"<td>{html.escape(r['suite'])}</td>"
            f'<td><a href="{page}">{html.escape(r["batch"])}</a></td>'
            f"<td>{'' if r['evaluated'] is None else r['evaluated']}</td>"
            f"<td>{'' if r['failed'] is None else r['failed']}</td></tr>"
        )
    if not rows:
        out.append('<tr><td colspan="6">No validation results yet.</td></tr>')
    out += ["</tbody>", "</table>", "</body>", "</html>", ""]
    return "\n".join(out)
