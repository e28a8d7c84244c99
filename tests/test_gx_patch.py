"""The GX-on-DuckDB workaround (expectations/gx_patch.py) still works, and is still needed.

If a GX upgrade moves `_PERSISTED_CONNECTION_DIALECTS`, apply() raises; if the planted nulls are
miscounted or GX reports an exception, the patch no longer works. If GX starts working without
the patch, test_unpatched_gx_still_crashes fails: drop the patch then.
"""

from __future__ import annotations

import uuid

import duckdb
import pytest

from expectations import gx_patch
from expectations.gx_context import gx_runtime

PLANTED_NULLS = 40


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(tmp_path_factory.mktemp("gxpatch") / "w.duckdb"))
    # 1,000 rows; every 25th code is NULL (range 0, 25, ..., 975: 40 of them).
    c.execute(
        "CREATE TABLE t AS SELECT range + 1 AS source_row, "
        "CASE WHEN range % 25 = 0 THEN NULL ELSE 'C' || range END AS code FROM range(1000)"
    )
    yield c
    c.close()


def _not_null_result(con: duckdb.DuckDBPyConnection):
    """GX's own ExpectColumnValuesToNotBeNull over a cursor of `con`, as stack-notes describe."""
    import duckdb_engine

    gx = gx_runtime()
    name = f"patch-{uuid.uuid4().hex[:8]}"
    cursors = []

    def creator():
        cursors.append(con.cursor())
        return duckdb_engine.ConnectionWrapper(cursors[-1])

    source = gx.context.data_sources.add_sql(
        name=name, connection_string="duckdb:///:memory:", kwargs={"creator": creator}
    )
    try:
        batch = (
            source.add_query_asset(name="t", query="SELECT * FROM t")
            .add_batch_definition_whole_table("all")
            .get_batch()
        )
        import great_expectations.expectations as gxe

        return batch.validate(gxe.ExpectColumnValuesToNotBeNull(column="code"))
    finally:
        gx_patch.release(source)
        gx.context.data_sources.delete(name)
        for c in cursors:
            c.close()


def test_patched_gx_counts_planted_nulls_exactly(con):
    gx_runtime()  # applies the patch
    assert gx_patch.is_patched()
    result = _not_null_result(con)
    assert not result.exception_info.get("raised_exception")
    assert result.success is False
    assert result.result["unexpected_count"] == PLANTED_NULLS
    assert result.result["element_count"] == 1000


def test_unpatched_gx_still_crashes(con, monkeypatch):
    import great_expectations.execution_engine.sqlalchemy_execution_engine as sa_engine

    gx_runtime()
    original = tuple(d for d in sa_engine._PERSISTED_CONNECTION_DIALECTS if d != "duckdb")
    monkeypatch.setattr(sa_engine, "_PERSISTED_CONNECTION_DIALECTS", original)
    assert not gx_patch.is_patched()
    result = _not_null_result(con)
    messages = str(result.exception_info)
    assert "list index out of range" in messages, (
        "GX now validates duckdb without the persisted-connection patch: "
        "remove expectations/gx_patch.py's apply() and this test"
    )
    assert result.success is False


def test_apply_is_idempotent_and_refuses_changed_internals(monkeypatch):
    import great_expectations.execution_engine.sqlalchemy_execution_engine as sa_engine

    gx_runtime()
    before = sa_engine._PERSISTED_CONNECTION_DIALECTS
    gx_patch.apply()
    assert sa_engine._PERSISTED_CONNECTION_DIALECTS is before
    assert sum(1 for d in before if d == "duckdb") == 1
    assert sa_engine._dialect_requires_persisted_connection(connection_string="duckdb:///x")

    monkeypatch.delattr(sa_engine, "_PERSISTED_CONNECTION_DIALECTS")
    with pytest.raises(RuntimeError, match="gx_patch"):
        gx_patch.apply()
