"""Streaming writers, one per kind and format: write(frame) any number of times, then close().

Files are written under a dot-prefixed temporary name and renamed when complete, so a folder
watcher never sees half a file. xlsx splits into `<kind>-partN.xlsx` when a sheet would overflow.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl

from sampledata.frames import arrow_schema, polars_schema
from warehouse.contract import KINDS

FORMATS = ("csv", "csv-gbk", "xlsx", "parquet")
EXTENSIONS = {"csv": "csv", "csv-gbk": "csv", "xlsx": "xlsx", "parquet": "parquet"}
# A sheet holds 1,048,576 rows including the header; parts stop at a round number below that.
XLSX_MAX_DATA_ROWS = 1_000_000
GBK_ENCODING = "gb18030"  # superset of GBK: what Chinese systems export as "GBK"


def chinese_headers(kind: str) -> dict[str, str]:
    """English name -> the contract's Chinese alias, for the columns that have one."""
    return {c.name: c.alias_zh for c in KINDS[kind].columns if c.alias_zh}


class KindWriter:
    def __init__(self, out: Path, kind: str, fmt: str) -> None:
        self.out, self.kind, self.fmt = out, kind, fmt
        self.ext = EXTENSIONS[fmt]
        self.rows = 0
        self.paths: list[Path] = []

    def write(self, df: pl.DataFrame) -> None:
        raise NotImplementedError

    def close(self) -> list[Path]:
        raise NotImplementedError

    def _tmp(self, final: Path) -> Path:
        return final.with_name(f".{final.name}.tmp")


class CsvWriter(KindWriter):
    def __init__(self, out: Path, kind: str, fmt: str) -> None:
        super().__init__(out, kind, fmt)
        self.final = out / f"{kind}.csv"
        self.fh: BinaryIO = open(self._tmp(self.final), "wb")  # noqa: SIM115 (closed in close())
        self.rename = chinese_headers(kind) if fmt == "csv-gbk" else {}

    def write(self, df: pl.DataFrame) -> None:
        first = self.rows == 0
        if self.fmt == "csv-gbk":
            text = df.rename(self.rename).write_csv(include_header=first)
            self.fh.write(text.encode(GBK_ENCODING))
        else:
            df.write_csv(self.fh, include_header=first)
        self.rows += df.height

    def close(self) -> list[Path]:
        if self.rows == 0:  # header only
            self.write(pl.DataFrame(schema=polars_schema(self.kind)))
        self.fh.close()
        os.replace(self._tmp(self.final), self.final)
        return [self.final]


class ParquetWriter(KindWriter):
    def __init__(self, out: Path, kind: str, fmt: str) -> None:
        import pyarrow.parquet as pq

        super().__init__(out, kind, fmt)
        self.final = out / f"{kind}.parquet"
        self.schema = arrow_schema(kind)
        self.writer = pq.ParquetWriter(self._tmp(self.final), self.schema, compression="zstd")

    def write(self, df: pl.DataFrame) -> None:
        self.writer.write_table(df.to_arrow().cast(self.schema))
        self.rows += df.height

    def close(self) -> list[Path]:
        self.writer.close()
        os.replace(self._tmp(self.final), self.final)
        return [self.final]


class XlsxWriter(KindWriter):
    """Codes as text cells, money as numbers (0.00), booleans as booleans, dates as ISO text:
    a date cell read as text comes back as "YYYY-MM-DD 00:00:00", which the contract does not
    list. constant_memory streams rows to disk."""

    def __init__(self, out: Path, kind: str, fmt: str, created: date) -> None:
        super().__init__(out, kind, fmt)
        self.created = datetime(created.year, created.month, created.day)
        self.part_rows = 0
        self.parts: list[Path] = []
        self.book = None
        self.columns = KINDS[kind].column_names

    def _open_part(self) -> None:
        import xlsxwriter

        if self.book is not None:
            self.book.close()
        self.parts.append(self.out / f"{self.kind}-part{len(self.parts) + 1}.xlsx")
        self.book = xlsxwriter.Workbook(
            str(self._tmp(self.parts[-1])),
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
        )
        self.book.set_properties({"created": self.created})  # fixed: same seed, same bytes
        self.sheet = self.book.add_worksheet(self.kind[:31])
        self.money_fmt = self.book.add_format({"num_format": "0.00"})
        self.sheet.write_row(0, 0, self.columns)
        self.part_rows = 0

    def write(self, df: pl.DataFrame) -> None:
        if self.book is None:
            self._open_part()
        df = df.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
        kinds = [_cell_kind(df.schema[c]) for c in self.columns]
        cols = [df.get_column(c).to_list() for c in self.columns]
        for r in range(df.height):
            if self.part_rows == XLSX_MAX_DATA_ROWS:
                self._open_part()
            self.part_rows += 1
            row = self.part_rows
            for ci, (kind, col) in enumerate(zip(kinds, cols, strict=True)):
                v = col[r]
                if v is None:
                    continue
                if kind == "s":
                    self.sheet.write_string(row, ci, v)
                elif kind == "d":
                    self.sheet.write_string(row, ci, v.isoformat())
                elif kind == "m":
                    self.sheet.write_number(row, ci, v, self.money_fmt)
                elif kind == "b":
                    self.sheet.write_boolean(row, ci, v)
                else:
                    self.sheet.write_number(row, ci, v)
        self.rows += df.height

    def close(self) -> list[Path]:
        if self.book is None:
            self._open_part()
        self.book.close()
        if len(self.parts) == 1:  # no split needed: plain <kind>.xlsx
            self.parts = [self.out / f"{self.kind}.xlsx"]
            os.replace(self._tmp(self.out / f"{self.kind}-part1.xlsx"), self.parts[0])
        else:
            for p in self.parts:
                os.replace(self._tmp(p), p)
        return self.parts


def _cell_kind(dtype: pl.DataType) -> str:
    if dtype == pl.Date:
        return "d"
    if dtype == pl.Float64:
        return "m"
    if dtype == pl.Boolean:
        return "b"
    if dtype.is_integer():
        return "i"
    return "s"


def open_writer(out: Path, kind: str, fmt: str, created: date) -> KindWriter:
    if fmt in ("csv", "csv-gbk"):
        return CsvWriter(out, kind, fmt)
    if fmt == "parquet":
        return ParquetWriter(out, kind, fmt)
    if fmt == "xlsx":
        return XlsxWriter(out, kind, fmt, created)
    raise ValueError(f"unknown format {fmt!r}")
