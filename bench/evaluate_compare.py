"""Is this checkout's evaluation faster than another revision's? (A tool for performance work,
not part of `make bench`.)

    python -m bench.evaluate_compare --base REV [--db FILE] [--rounds R] [--evals N]

The machine's speed drifts by up to 1.5x within minutes, so one run of each side says little.
This alternates processes of the two sides (`REV`, exported with `git archive`, and the working
tree), R rounds of N evaluations each on a copy of the same warehouse (`--db`, else the evaluate
bench's 10M warehouse, built once), and compares each round's medians pairwise: adjacent runs
share the machine's mood. A change below ~5% needs 8 rounds or more to show.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.evaluate_bench import AS_OF, floor_sql, warehouse_file

ROOT = Path(__file__).resolve().parents[1]

# Run in a child process whose cwd and PYTHONPATH are one side's tree: its own engine is imported;
# the floor's SQL is this tree's (argv), so both sides time the same floor.
CHILD = """
import json, shutil, sys, time
from pathlib import Path
from bench.evaluate_bench import AS_OF
from transforms.engine import evaluate
from warehouse.connection import connect
from warehouse.settings import load_settings
source, copy, evals, floor_sql = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
shutil.copy(source, copy)
con = connect(load_settings(copy))
for _ in range(2):  # warm: the models' timings on record order the graph
    evaluate(con, AS_OF)
    con.execute("CHECKPOINT")
walls, floors = [], []
for _ in range(evals):
    started = time.perf_counter()
    con.sql(floor_sql).fetchall()
    floors.append(time.perf_counter() - started)
    started = time.perf_counter()
    evaluate(con, AS_OF)
    walls.append(time.perf_counter() - started)
    con.execute("CHECKPOINT")
con.close()
print(json.dumps({"walls": walls, "floors": floors}))
"""


def _run_side(tree: Path, db: Path, workdir: Path, evals: int) -> dict[str, list[float]]:
    copy = workdir / f"{tree.name}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(copy), str(evals), floor_sql(AS_OF.year - 1)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    for leftover in (copy, copy.with_name(copy.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if out.returncode:
        raise SystemExit(f"{tree.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _export(rev: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="evaluate_compare", description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="the revision to compare with (e.g. HEAD~3)")
    p.add_argument(
        "--db", type=Path, help="a warehouse file (copied per process; built there when missing)"
    )
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--evals", type=int, default=8, help="evaluations per process")
    p.add_argument("--declarations", type=int, default=10_000_000)
    p.add_argument("--enterprises", type=int, default=5000)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="evaluate-compare-") as tmp:
        workdir = Path(tmp)
        base = workdir / "base"
        _export(args.base, base)
        db = args.db or warehouse_file(
            workdir / "bench.duckdb", args.enterprises, args.declarations
        )
        sides = {"base": base, "this": ROOT}
        medians: dict[str, list[float]] = {name: [] for name in sides}
        walls: dict[str, list[float]] = {name: [] for name in sides}
        floors: list[float] = []
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for name in order:
                got = _run_side(sides[name], db, workdir, args.evals)
                medians[name].append(statistics.median(got["walls"]))
                walls[name] += got["walls"]
                floors += got["floors"]
            print(
                f"round {round_ + 1}: base {medians['base'][-1] * 1000:6.1f} ms, "
                f"this {medians['this'][-1] * 1000:6.1f} ms (medians)",
                flush=True,
            )
        shutil.rmtree(base, ignore_errors=True)
    diffs = sorted(t - b for b, t in zip(medians["base"], medians["this"], strict=True))
    floor = min(floors)
    for name in sides:
        best = min(walls[name])
        print(
            f"{name:5s} best {best * 1000:6.1f} ms (ratio {best / floor:.2f}x to the best floor "
            f"{floor * 1000:.1f} ms), median {statistics.median(walls[name]) * 1000:6.1f} ms"
        )
    faster = sum(d < 0 for d in diffs)
    print(
        f"this - base, per round: median {statistics.median(diffs) * 1000:+.1f} ms "
        f"(from {diffs[0] * 1000:+.1f} to {diffs[-1] * 1000:+.1f}); "
        f"this faster in {faster} of {len(diffs)} rounds"
    )


if __name__ == "__main__":
    main()
