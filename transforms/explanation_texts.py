"""The explanation templates (transforms/explanations.toml): one-line texts per rule and variant."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from pathlib import Path

EXPLANATIONS = Path(__file__).parent / "explanations.toml"


def explanation_rows(rule_ids: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """Templates per (rule, variant); the '*' fallbacks filled in for every rule."""
    templates = _explanation_templates()
    fallback = templates.get("*", {})
    rows = []
    for rule_id in rule_ids:
        for variant, text in {**fallback, **templates.get(rule_id, {})}.items():
            rows.append((rule_id, variant, text["en"], text["zh"]))
    return rows


@functools.cache
def _explanation_templates() -> dict:
    """The templates are code: read once per process."""
    return tomllib.loads(EXPLANATIONS.read_text(encoding="utf-8"))
