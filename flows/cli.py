"""The `customs-credit` command line.

Kept light on purpose: Prefect, Great Expectations and pandera import slowly, so every subcommand
imports what it needs only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from warehouse.errors import UserError
from warehouse.settings import DEFAULT_WAREHOUSE, force_offline, load_settings

FORMATS = ("csv", "csv-gbk", "xlsx", "parquet")


def _cmd_generate(args: argparse.Namespace) -> int:
    from sampledata.generator import generate

    summary = generate(
        Path(args.out),
        enterprises=args.enterprises,
        declarations=args.declarations,
        seed=args.seed,
        fmt=args.format,
        as_of=args.as_of,
    )
    for kind, rows in summary.items():
        print(f"{kind:22s} {rows:>12,d} rows")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from flows.ingest_flow import ingest_cli

    return ingest_cli(load_settings(args.warehouse), [Path(p) for p in args.paths], args.prefect)


def _cmd_status(args: argparse.Namespace) -> int:
    from warehouse.status import print_status

    return print_status(load_settings(args.warehouse))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from flows.evaluation import evaluate_cli

    return evaluate_cli(
        load_settings(args.warehouse),
        as_of=args.as_of,
        rulebook=Path(args.rulebook) if args.rulebook else None,
        use_prefect=args.prefect,
    )


def _cmd_explain(args: argparse.Namespace) -> int:
    from transforms.explain import explain_cli

    return explain_cli(load_settings(args.warehouse), args.customs_code, args.as_of)


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from transforms.explain import snapshot_cli

    return snapshot_cli(load_settings(args.warehouse), args.as_of)


def _add_prefect_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-prefect",
        dest="prefect",
        action="store_false",
        help="run the work directly, without a Prefect flow run (no UI record)",
    )


def build_parser(wanted: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The CLI's parser. The arguments of the EXTRA_COMMANDS come from modules that import
    DuckDB and more: only those in `wanted` (None: all) are loaded, so `--help` stays fast."""
    parser = argparse.ArgumentParser(
        prog="customs-credit",
        description=(
            "China Customs enterprise-credit pipeline: ingest, validate, evaluate, publish, "
            "report, serve."
        ),
    )
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        default=None,
        help=f"DuckDB warehouse file (env CUSTOMS_CREDIT_WAREHOUSE, default {DEFAULT_WAREHOUSE})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="write realistic sample input files of all nine kinds")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the files into")
    p.add_argument("--enterprises", type=int, default=200, metavar="N")
    p.add_argument("--declarations", type=int, default=50_000, metavar="M")
    p.add_argument("--seed", type=int, default=7, metavar="S")
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the data is generated up to (default: today in Asia/Shanghai)",
    )
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("ingest", help="validate and load files or folders of files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _add_prefect_flag(p)
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("status", help="batches loaded and rejected, rows per kind, last run")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("evaluate", help="evaluate the credit rules and write the snapshot")
    p.add_argument(
        "--as-of", default=None, metavar="YYYY-MM-DD", help="default: today, Asia/Shanghai"
    )
    p.add_argument("--rulebook", default=None, metavar="FILE", help="evaluate with this rulebook")
    _add_prefect_flag(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("explain", help="every rule's finding for one enterprise")
    p.add_argument("customs_code")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="default: latest evaluated")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("snapshot", help="print the eligibility snapshot as a table")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="default: latest evaluated")
    p.set_defaults(func=_cmd_snapshot)

    for name, module, help_text in EXTRA_COMMANDS:
        p = sub.add_parser(name, help=help_text)
        if wanted is None or name in wanted:
            _register_extra(p, module)
    return parser


# Subcommands owned by other modules: (name, module, help). Each module defines
# `add_arguments(parser)` and `run(args) -> int`.
EXTRA_COMMANDS: list[tuple[str, str, str]] = [
    ("publish", "warehouse.publish", "publish the BI serving copy (Parquet + views), atomically"),
    ("serve", "flows.serve", "run the pipeline as a service: Prefect server, schedules, watcher"),
    ("report", "reports.cli", "write the HTML readiness report of one enterprise, or --portfolio"),
]


def _register_extra(p: argparse.ArgumentParser, module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    mod.add_arguments(p)
    p.set_defaults(func=mod.run)


def main(argv: Sequence[str] | None = None) -> int:
    force_offline()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = {name for name, _, _ in EXTRA_COMMANDS}
    args = build_parser(wanted=extra.intersection(argv)).parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
