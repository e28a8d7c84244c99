"""Versioned rulebooks: data files of parameters (value, legal basis, verification), chosen by T."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import UserError

RULEBOOK_DIR = Path(__file__).parent / "rulebooks"
EARLIEST_AS_OF = dt.date(2021, 11, 1)  # Order 251 in force; nothing before it is modelled
VERIFICATIONS = ("verified", "provisional")

RULE_IDS = tuple(
    [f"D{i}" for i in range(1, 9)] + [f"A{i}" for i in range(1, 8)] + [f"W{i}" for i in range(1, 6)]
)

# Every parameter the SQL models read, with the Python type its value must have.
REQUIRED_PARAMS: dict[str, type | tuple[type, ...]] = {
    "vd_cap_early": (int, float),
    "vd_cap_change_date": dt.date,
    "vd_cap_late": (int, float),
    "nonintentional_from": dt.date,
    "nonintentional_to": dt.date,
    "d3_doc_ratio": (int, float),
    "d3_fine_amount": (int, float),
    "d4_doc_ratio": (int, float),
    "d4_fine_amount": (int, float),
    "d5_overdue_months": int,
    "d6_overdue_months": int,
    "d6_amount": (int, float),
    "d8_solid_waste_fine": (int, float),
    "breach_lookback_years": int,
    "repair_years": int,
    "upgrade_bar_years": int,
    "cooldown_years": int,
    "a5_leverage_limit": (int, float),
    "a5_years": int,
    "a6_ie_fine_total": (int, float),
    "a6_ie_count": int,
    "a6_ie_doc_ratio": (int, float),
    "a6_ie_single_fine": (int, float),
    "a6_broker_doc_ratio": (int, float),
    "a6_broker_fine_total": (int, float),
    "a6_broker_single_fine": (int, float),
    "a7_min_score": (int, float),
    "a7_max_basically_meets": int,
    "a7_deduct_basically_meets": (int, float),
    "a7_deduct_fails": (int, float),
    "a7_bonus_per_item": (int, float),
    "a7_bonus_cap": (int, float),
    "w1_headroom_share": (int, float),
    "w2_error_rate_limit": (int, float),
    "w3_review_years": int,
    "w3_warn_days": int,
}


@dataclass(frozen=True)
class Param:
    name: str
    value: object
    basis: str
    verification: str

    @property
    def provisional(self) -> bool:
        return self.verification == "provisional"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    basis: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Rulebook:
    id: str
    title: str
    status: str
    valid_from: dt.date
    valid_to: dt.date
    params: dict[str, Param]
    rules: dict[str, Rule]
    path: Path
    sha256: str

    @property
    def provisional(self) -> bool:
        return self.status == "provisional"

    def value(self, name: str) -> object:
        return self.params[name].value

    def rule_provisional(self, rule_id: str) -> bool:
        return any(self.params[p].provisional for p in self.rules[rule_id].params)


def _fail(path: Path, message: str) -> UserError:
    return UserError(f"rulebook {path}: {message}")


# Parsed rulebooks by (path, sha256 of the bytes): a flow reads the same file several times (the
# CLI checks it before the run, the engine reads it again), and parsing costs ~3 ms a file.
_PARSED: dict[tuple[Path, str], Rulebook] = {}


def load_rulebook(path: Path) -> Rulebook:
    """Parse and check a rulebook file; any defect is refused with a message naming it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})") from exc
    key = (path, hashlib.sha256(raw).hexdigest())
    if key not in _PARSED:
        _PARSED[key] = _parse(path, raw, key[1])
    return _PARSED[key]


def _parse(path: Path, raw: bytes, sha256: str) -> Rulebook:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"is not valid TOML: {exc}") from exc

    for key, typ in (("id", str), ("status", str), ("valid_from", dt.date), ("valid_to", dt.date)):
        if not isinstance(data.get(key), typ):
            raise _fail(path, f"'{key}' is missing or not a {typ.__name__}")
    if data["status"] not in VERIFICATIONS:
        raise _fail(path, f"status must be one of {VERIFICATIONS}, not {data['status']!r}")
    if data["valid_from"] > data["valid_to"]:
        raise _fail(path, "valid_from is after valid_to")

    params_raw = data.get("params")
    if not isinstance(params_raw, dict):
        raise _fail(path, "has no [params.*] tables")
    params: dict[str, Param] = {}
    for name, typ in REQUIRED_PARAMS.items():
        entry = params_raw.get(name)
        if not isinstance(entry, dict):
            raise _fail(path, f"parameter '{name}' is missing")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, typ):
            raise _fail(path, f"parameter '{name}' has value {value!r} of the wrong type")
        if isinstance(value, int | float) and value < 0:
            raise _fail(path, f"parameter '{name}' is negative ({value})")
        basis, verification = entry.get("basis"), entry.get("verification")
        if not isinstance(basis, str) or not basis.strip():
            raise _fail(path, f"parameter '{name}' has no legal basis")
        if verification not in VERIFICATIONS:
            raise _fail(path, f"parameter '{name}' verification must be one of {VERIFICATIONS}")
        params[name] = Param(name, value, basis, verification)
    unknown = sorted(set(params_raw) - set(REQUIRED_PARAMS))
    if unknown:
        raise _fail(path, f"unknown parameter(s): {', '.join(unknown)}")

    rules_raw = data.get("rules")
    if not isinstance(rules_raw, dict):
        raise _fail(path, "has no [rules.*] tables")
    rules: dict[str, Rule] = {}
    for rule_id in RULE_IDS:
        entry = rules_raw.get(rule_id)
        if not isinstance(entry, dict) or not isinstance(entry.get("basis"), str):
            raise _fail(path, f"rule '{rule_id}' is missing or has no basis")
        used = entry.get("params", [])
        bad = [p for p in used if p not in params]
        if bad:
            raise _fail(path, f"rule '{rule_id}' uses unknown parameter(s): {', '.join(bad)}")
        rules[rule_id] = Rule(rule_id, entry["basis"], tuple(used))

    return Rulebook(
        id=data["id"],
        title=str(data.get("title", data["id"])),
        status=data["status"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        params=params,
        rules=rules,
        path=path,
        sha256=sha256,
    )


def bundled_rulebooks() -> list[Rulebook]:
    return [load_rulebook(p) for p in sorted(RULEBOOK_DIR.glob("*.toml"))]


def check_as_of(as_of: dt.date) -> None:
    if as_of < EARLIEST_AS_OF:
        raise UserError(
            f"as-of date {as_of} is before {EARLIEST_AS_OF}: the credit rules are only modelled "
            "from GACC Order No. 251's entry into force"
        )


def rulebook_for(as_of: dt.date, override: Path | None = None) -> Rulebook:
    """The rulebook in force at T (or the user's copy); T before Order 251 is refused."""
    check_as_of(as_of)
    if override is not None:
        return load_rulebook(override)
    for book in bundled_rulebooks():
        if book.valid_from <= as_of <= book.valid_to:
            return book
    raise UserError(f"no bundled rulebook is in force on {as_of}")
