"""Open one landing file: format, encoding, header, and the SQL that reads its rows.

Nothing here loads data into the warehouse: `readers_sql` turns what this module finds into the
typed batch table. CSV is read by DuckDB itself (fast, parallel); GB18030 is transcoded to a
temporary UTF-8 file first (DuckDB has no encodings extension offline); Excel goes through
polars/calamine; Parquet through DuckDB's reader. Every source ends up as columns c0..cN plus a
1-based `source_row`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contract import Kind
from warehouse.ingest_types import BatchRejected, Finding

FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".parquet": "parquet",
}
SNIFF_BYTES = 1 << 20  # encoding and header are decided on the first MiB
TRANSCODE_CHUNK = 8 << 20  # GB18030 -> UTF-8 in 8 MiB pieces: bounded memory
# Whitespace trimmed around every value and header name, including the ideographic space.
WHITESPACE = " \t\r\n\u3000\ufeff"


@dataclass
class SourceFile:
    """A landing file made readable: where the UTF-8 CSV text is, or how to get the rows."""

    path: Path
    format: str  # csv | xlsx | parquet
    encoding: str | None  # utf-8 | utf-8-sig | gb18030 for CSV
    header: list[str]  # source column names, in file order
    csv_path: Path | None = None  # the UTF-8 text DuckDB reads (a temp file if transcoded)
    temp_files: list[Path] = field(default_factory=list)

    def cleanup(self) -> None:
        for p in self.temp_files:
            p.unlink(missing_ok=True)
        self.temp_files.clear()


@dataclass(frozen=True)
class HeaderMap:
    """Which source column (by position) feeds each contract column."""

    positions: dict[str, int]  # contract column -> index into SourceFile.header
    extras: tuple[str, ...]  # source columns the contract does not know (ignored)
    missing_optional: tuple[str, ...]


def reject(rule: str, message: str, **kw: object) -> BatchRejected:
    return BatchRejected([Finding(rule=rule, message=message, **kw)])  # type: ignore[arg-type]


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise reject(
            "unsupported_format",
            f"'{path.suffix or '(none)'}' is not a supported file type "
            f"(expected {', '.join(sorted(FORMATS))})",
        )
    return fmt


def _decodes(data: bytes, encoding: str) -> bool:
    """True if `data` is valid text in `encoding`, allowing a character cut at the end."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030; anything else is not a text file."""
    if not head.strip():
        raise reject("empty_file", "the file is empty")
    if b"\x00" in head:
        raise reject("not_text", "binary content (NUL bytes): not a CSV text file")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    raise reject("encoding", "the text is neither UTF-8 nor GB18030/GBK")


def parse_header(text: str) -> list[str]:
    """The first CSV record of `text` (quoted names with commas or newlines are fine)."""
    try:
        row = next(csv.reader(io.StringIO(text)), None)
    except csv.Error as exc:
        raise reject("csv_format", f"the header line cannot be parsed: {exc}") from exc
    if not row or not any(h.strip(WHITESPACE) for h in row):
        raise reject("empty_file", "the file has no header line")
    return row


def open_csv(path: Path, temp_dir: Path, force_encoding: str | None = None) -> SourceFile:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = force_encoding or sniff_encoding(head)
    header = parse_header(head.decode(encoding, errors="ignore"))
    src = SourceFile(path=path, format="csv", encoding=encoding, header=header, csv_path=path)
    if encoding == "gb18030":
        src.csv_path = transcode_to_utf8(path, temp_dir, encoding)
        src.temp_files.append(src.csv_path)
    return src


def transcode_to_utf8(path: Path, temp_dir: Path, encoding: str = "gb18030") -> Path:
    """Write a UTF-8 copy of `path` (decoded as `encoding`) into temp_dir, in bounded chunks."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="transcoded-", suffix=".csv", dir=temp_dir)
    out = Path(name)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(TRANSCODE_CHUNK):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        out.unlink(missing_ok=True)
        raise reject(
            "encoding",
            f"byte {exc.start} cannot be decoded as UTF-8 or {encoding.upper()}",
        ) from exc
    return out


def open_excel_frame(path: Path):  # -> (header, polars.DataFrame with c0..cN + source_row)
    """First sheet as text; blank rows dropped but counted in source_row."""
    import polars as pl

    try:
        df = pl.read_excel(
            path,
            engine="calamine",
            infer_schema_length=None,  # typed cells where a whole column agrees (see below)
            drop_empty_rows=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # fastexcel raises its own types for broken workbooks
        reason = _first_line(exc)
        raise reject("unreadable_file", f"not a readable Excel workbook: {reason}") from exc
    header = list(df.columns)
    df = df.select(
        _cell_text(pl.col(name), df.schema[name]).alias(f"c{i}") for i, name in enumerate(header)
    )
    df = df.with_row_index("source_row", offset=1).with_columns(pl.col("source_row").cast(pl.Int64))
    data_cols = [f"c{i}" for i in range(len(header))]
    if data_cols:
        blank = pl.all_horizontal(
            pl.col(c).is_null() | (pl.col(c).str.strip_chars(WHITESPACE) == "") for c in data_cols
        )
        df = df.filter(~blank)
    return header, df


def _cell_text(col, dtype):  # (pl.Expr, pl.DataType) -> pl.Expr
    """Excel cells as the text a person sees: numbers are binary floats, so 55171379.46 is stored
    as 55171379.460000001; 15 significant digits (what Excel shows) give the typed value back.
    Whole numbers lose their '.0' (a customs code typed as a number stays 10 digits). A number of
    more than 15 digits has already lost digits in Excel (an entry_id or uscc typed as a number):
    it reads as Excel shows it, 2.20120241e+17, which no code pattern accepts, instead of digits
    that look right and are not."""
    import polars as pl

    if dtype.is_integer():
        return (
            pl.when(col.abs() < 10**15)
            .then(col.cast(pl.Utf8))
            .otherwise(col.cast(pl.Float64).round_sig_figs(15).cast(pl.Utf8))
        )
    if dtype.is_float():
        whole = (col == col.round(0)) & (col.abs() < 1e15)
        return (
            pl.when(whole)
            .then(col.cast(pl.Int64).cast(pl.Utf8))
            .otherwise(col.round_sig_figs(15).cast(pl.Utf8))
        )
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d %H:%M:%S")
    return col.cast(pl.Utf8)


def parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        rows = con.sql(f"DESCRIBE SELECT * FROM read_parquet({sql_str(path)})").fetchall()
    except duckdb.Error as exc:
        raise reject("unreadable_file", f"not a readable Parquet file: {_first_line(exc)}") from exc
    return [r[0] for r in rows]


def normalise_name(name: str) -> str:
    return name.strip(WHITESPACE).lower()


def map_header(kind: Kind, header: list[str]) -> tuple[HeaderMap, list[Finding]]:
    """Match header names to the contract (case-insensitive, trimmed, Chinese aliases).

    Rejects a missing required column or two source columns for one contract column; an
    unknown column is a warning (ignored).
    """
    lookup: dict[str, str] = {}
    for col in kind.columns:
        lookup[col.name.lower()] = col.name
        if col.alias_zh:
            lookup[normalise_name(col.alias_zh)] = col.name
    positions: dict[str, int] = {}
    extras: list[str] = []
    for i, raw in enumerate(header):
        name = lookup.get(normalise_name(raw))
        if name is None:
            extras.append(raw)
        elif name in positions:
            raise reject(
                "duplicate_column",
                f"columns {header[positions[name]]!r} and {raw!r} both map to {name}",
                column=name,
            )
        else:
            positions[name] = i
    missing = [c.name for c in kind.columns if c.required and c.name not in positions]
    if missing:
        found = ", ".join(h.strip(WHITESPACE) for h in header)
        raise reject(
            "missing_column",
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"missing (found: {found})",
            column=missing[0],
        )
    warnings = [
        Finding(
            rule="extra_column",
            message=f"column {e.strip(WHITESPACE)!r} is not in the {kind.name} contract; ignored",
            column=e.strip(WHITESPACE),
            severity="warning",
        )
        for e in extras
    ]
    missing_optional = tuple(c.name for c in kind.columns if c.name not in positions)
    return HeaderMap(positions, tuple(extras), missing_optional), warnings


def sql_str(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
