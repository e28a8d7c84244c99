"""Write the bulk declaration files of the golden scenarios (deterministic; output is committed).

    .venv/bin/python tests/golden/make_declarations.py

Each scenario that needs many documents gets `inputs/declarations_bulk.csv`: blocks of identical
declarations (one consignee, one declarant, one day). Hand-written declarations, when a scenario has
any, live beside it in `inputs/declarations.csv` and use sequence numbers from 900000000 up.
entry_id = customs office 4201 + year + I/E flag (1 import, 0 export) + 9-digit sequence.
"""

from __future__ import annotations

import csv
from pathlib import Path

from warehouse.contract import KINDS as CONTRACT

HERE = Path(__file__).resolve().parent
HEADER = list(CONTRACT["declarations"].column_names)
KINDS = ("entry", "entry", "entry", "filing_list", "manifest")
STATUSES = ("released", "released", "accepted", "released", "cancelled")

# folder -> blocks of (consignee_code, declarant_code, declare_date, count)
BLOCKS: dict[str, list[tuple[str, str, str, int]]] = {
    "01_example1_d3_importer": [("4200000001", "4200000001", "2024-05-15", 2000)],
    "05_d3_thresholds": [
        ("4205000001", "4205000001", "2024-05-15", 1000),
        ("4205000005", "4205000005", "2024-05-15", 1000),
    ],
    "06_d4_broker_vs_importer": [("4206000001", "4206000002", "2024-05-15", 1000)],
    "10_d3_lookback_repair": [
        ("4210000004", "4210000004", "2023-03-01", 1000),
        ("4210000005", "4210000005", "2023-03-01", 1000),
    ],
    "18_warnings_w1_w4": [
        ("4218000004", "4218000004", "2025-03-01", 100),
        ("4218000005", "4218000005", "2025-03-01", 100),
        ("4218000007", "4218000006", "2025-03-01", 100),
    ],
    "21_docs_ratio_sides": [("4221000002", "4221000001", "2024-05-15", 2000)],
}


def rows_for(block_no: int, consignee: str, declarant: str, day: str, count: int):
    year = day[:4]
    for i in range(count):
        flag = "1" if i % 4 else "0"
        seq = block_no * 100_000 + i + 1
        yield [
            f"4201{year}{flag}{seq:09d}",
            consignee,
            declarant,
            day,
            "I" if flag == "1" else "E",
            "4201",
            "0110",
            KINDS[i % len(KINDS)],
            f"{1000 + i}",
            STATUSES[i % len(STATUSES)],
        ]


def main() -> None:
    for folder, blocks in BLOCKS.items():
        out = HERE / folder / "inputs" / "declarations_bulk.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(HEADER)
            for block_no, block in enumerate(blocks, start=1):
                writer.writerows(rows_for(block_no, *block))


if __name__ == "__main__":
    main()
