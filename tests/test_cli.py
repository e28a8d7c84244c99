"""The CLI's import path stays light: help lists every command without loading DuckDB & co."""

from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import sys\n"
    "from flows.cli import main\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit:\n"
    "    pass\n"
    "heavy = [m for m in ('duckdb', 'prefect', 'great_expectations', 'pandera')\n"
    "         if m in sys.modules]\n"
    "print('HEAVY', heavy)\n"
)


def test_top_level_help_lists_every_command_without_heavy_imports():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out
    for command in (
        "generate",
        "ingest",
        "status",
        "evaluate",
        "explain",
        "snapshot",
        "publish",
        "serve",
        "report",
    ):
        assert command in out


def test_an_extra_command_still_gets_its_own_arguments(capsys):
    from flows.cli import main

    try:
        main(["publish", "--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--keep N" in capsys.readouterr().out
