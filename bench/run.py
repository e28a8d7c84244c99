"""Run every benchmark in this folder (`bench/*_bench.py`, each with `main(argv)`): `make bench`.

python -m bench.run                 all benchmarks, default sizes
python -m bench.run ingest publish  only those whose module name starts with these words
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

from warehouse.settings import force_offline


def discover() -> list[str]:
    return sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))


def main(argv: list[str] | None = None) -> int:
    force_offline()
    wanted = list(sys.argv[1:] if argv is None else argv)
    names = [n for n in discover() if not wanted or any(n.startswith(w) for w in wanted)]
    failed = []
    for name in names:
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main([])
        except Exception:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - started:.1f} s ==\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
