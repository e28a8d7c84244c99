"""Identity makers: customs registration codes, unified social credit codes (with real check
characters) and Chinese company names. All draw from a caller's random.Random, so they are
deterministic per seed."""

from __future__ import annotations

import random

from sampledata.reference import BROKER_INDUSTRIES, INDUSTRIES, NAME_CHARS, SUFFIXES, Region

# GB 32100-2015: the USCC alphabet (no I, O, S, V, Z) and the check weights of its 17 characters.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714: organisation code check weights of its 8 body characters.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# 5th character of a customs code: economic zone; letters mark bonded / special zones.
_ZONES = ("9", "9", "9", "9", "1", "2", "3", "4", "W", "S")
# 6th character: ownership; "8" is a customs brokerage.
_OWNERSHIP_IMPORTER = ("1", "3", "4", "4", "6", "6", "6", "9")


def customs_code(rnd: random.Random, region: Region, broker: bool) -> str:
    zone = rnd.choice(_ZONES)
    owner = "8" if broker else rnd.choice(_OWNERSHIP_IMPORTER)
    serial = f"{rnd.randrange(10000):04d}"
    if rnd.random() < 0.08:  # some serials carry a letter: codes are text, not numbers
        pos = rnd.randrange(4)
        serial = serial[:pos] + rnd.choice("ABCDEFGHJKLMNPQRTUWXY") + serial[pos + 1 :]
    return f"{region.admin_code}{zone}{owner}{serial}"


def _char_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55


def org_code(rnd: random.Random) -> str:
    """9-character organisation code: 8 body characters and the GB 11714 check character."""
    if rnd.random() < 0.4:  # codes issued since 2015 start with "MA"
        body = "MA" + "".join(rnd.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = "".join(rnd.choice("0123456789") for _ in range(8))
    c9 = 11 - sum(_char_value(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(rnd: random.Random, region: Region) -> str:
    """Unified social credit code: 9 (regulator) 1 (enterprise), division, org code, check."""
    first17 = "91" + region.division6 + org_code(rnd)
    return first17 + uscc_check(first17)


def company_name(rnd: random.Random, region: Region, broker: bool) -> str:
    brand = rnd.choice(NAME_CHARS) + rnd.choice(NAME_CHARS)
    industry = rnd.choice(BROKER_INDUSTRIES if broker else INDUSTRIES)
    suffix = rnd.choices([s for s, _ in SUFFIXES], weights=[w for _, w in SUFFIXES])[0]
    r = rnd.random()
    if r < 0.12:  # 华贸（深圳）进出口有限公司: full-width brackets, common for branches
        return f"{brand}（{region.city}）{industry}{suffix}"
    city = region.city + ("市" if r < 0.55 else "")
    return f"{city}{brand}{industry}{suffix}"
