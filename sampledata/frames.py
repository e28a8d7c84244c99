"""Typed polars frames in the contract's column order: the one place contract types map to
polars / arrow types. Money is built from integer cents, so it is exact (Decimal(18,2))."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pyarrow as pa

from warehouse import contract as c

MONEY_DTYPE = pl.Decimal(18, 2)
_POLARS: dict[str, pl.DataType] = {
    c.DATE: pl.Date(),
    c.MONEY: MONEY_DTYPE,
    c.BOOL: pl.Boolean(),
    c.INT: pl.Int32(),
}
_ARROW: dict[str, pa.DataType] = {
    c.DATE: pa.date32(),
    c.MONEY: pa.decimal128(18, 2),
    c.BOOL: pa.bool_(),
    c.INT: pa.int32(),
}


def polars_schema(kind: str) -> dict[str, pl.DataType]:
    """Codes, ids and enums are text (never numbers: leading zeros matter)."""
    return {col.name: _POLARS.get(col.type, pl.String()) for col in c.KINDS[kind].columns}


def arrow_schema(kind: str) -> pa.Schema:
    return pa.schema(
        [pa.field(col.name, _ARROW.get(col.type, pa.string())) for col in c.KINDS[kind].columns]
    )


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """Decimal(18,2) series from int64 cents; `valid` False marks nulls."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty(cents.size * 2, dtype=np.int64)  # decimal128 = low word, sign-extended high
    words[0::2] = cents
    words[1::2] = np.where(cents < 0, -1, 0)
    bitmap = None
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little").tobytes())
    arr = pa.Array.from_buffers(
        pa.decimal128(18, 2), cents.size, [bitmap, pa.py_buffer(words.tobytes())]
    )
    return pl.Series(arr)


def from_rows(kind: str, rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    """A typed frame from row dicts (money as int cents or None, dates as date or None)."""
    schema = polars_schema(kind)
    data: dict[str, pl.Series] = {}
    for name, dtype in schema.items():
        values = [r.get(name) for r in rows]
        if dtype == MONEY_DTYPE:
            valid = np.array([v is not None for v in values], dtype=bool)
            cents = np.array([0 if v is None else v for v in values], dtype=np.int64)
            data[name] = money(cents, valid).alias(name)
        else:
            data[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(data)


def date_series(name: str, epoch_days: np.ndarray) -> pl.Series:
    return pl.Series(name, epoch_days.astype(np.int32)).cast(pl.Date)
