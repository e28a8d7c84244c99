"""docs/bi.md stays true: every relation and column documented, every SQL example runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.serving_fixture import make_settings
from warehouse.publish import publish

DOC = Path(__file__).resolve().parent.parent / "docs" / "bi.md"
SECTION = re.compile(r"^### `(\w+)`\s*$", re.M)
COLUMN_ROW = re.compile(r"^\| `(\w+)` \|", re.M)
EVERY_COLUMN_OF = re.compile(r"Every column of\s+`(\w+)`", re.S)
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def _sections(text: str) -> dict[str, str]:
    heads = list(SECTION.finditer(text))
    out = {}
    for n, m in enumerate(heads):
        end = heads[n + 1].start() if n + 1 < len(heads) else len(text)
        body = text[m.end() : end]
        out[m.group(1)] = body.split("\n## ")[0]  # stop at the next level-2 heading too
    return out


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    settings = make_settings(tmp_path_factory.mktemp("bi-docs") / "wh")
    con = duckdb.connect(str(publish(settings).serving_db), read_only=True)
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    return {r[0] for r in con.sql(f"DESCRIBE {name}").fetchall()}


def test_every_relation_and_column_is_documented(serving: duckdb.DuckDBPyConnection) -> None:
    sections = _sections(DOC.read_text(encoding="utf-8"))
    relations = {
        r[0]
        for r in serving.sql(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = "
            "current_database() UNION SELECT table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
    }
    assert set(sections) == relations
    for name, body in sections.items():
        documented = set(COLUMN_ROW.findall(body))
        for other in EVERY_COLUMN_OF.findall(body):
            documented |= _columns(serving, other)
        assert documented == _columns(serving, name), name
        assert "Grain:" in body, f"{name}: say what one row is"


def test_every_sql_example_runs(serving: duckdb.DuckDBPyConnection) -> None:
    blocks = SQL_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 15
    for sql in blocks:
        rows = serving.sql(sql).fetchall()
        if "-- expect: rows" in sql:
            assert rows, f"expected rows from:\n{sql}"
