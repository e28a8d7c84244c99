"""Static reference data the generator draws from: regions, customs districts, trade modes, name
parts and the self-assessment item catalogue. Plain data, no logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    admin_code: str  # first 4 digits of a customs registration code (administrative division)
    division6: str  # 6-digit division inside the USCC
    city: str  # as written in a company name
    district: str  # home customs district (关区代码)
    case_abbr: str  # customs office abbreviation used in case numbers (沪关, 深关 ...)
    weight: float  # share of registered enterprises


REGIONS: tuple[Region, ...] = (
    Region("3101", "310115", "上海", "2200", "沪", 0.18),
    Region("4403", "440300", "深圳", "5300", "深", 0.17),
    Region("4401", "440106", "广州", "5100", "穗", 0.08),
    Region("4419", "441900", "东莞", "5200", "埔", 0.06),
    Region("3302", "330206", "宁波", "3100", "甬", 0.07),
    Region("3301", "330106", "杭州", "2900", "杭", 0.05),
    Region("3205", "320505", "苏州", "2300", "宁", 0.07),
    Region("3702", "370202", "青岛", "4200", "青", 0.06),
    Region("1200", "120116", "天津", "0200", "津", 0.05),
    Region("1100", "110105", "北京", "0100", "京", 0.06),
    Region("3502", "350206", "厦门", "3700", "厦", 0.05),
    Region("4101", "410104", "郑州", "4600", "郑", 0.03),
    Region("5000", "500112", "重庆", "8000", "渝", 0.04),
    Region("2102", "210204", "大连", "0900", "连", 0.03),
)

# Districts goods often clear through besides an enterprise's home district (the big ports).
PORT_DISTRICTS: tuple[str, ...] = ("2200", "5300", "3100", "4200", "5100", "0200")

# Trade modes (监管方式) by enterprise profile: (code, weight).
TRADE_MODES: dict[str, tuple[tuple[str, float], ...]] = {
    "general": (
        ("0110", 0.86),  # general trade
        ("3010", 0.03),  # samples and advertising goods
        ("4561", 0.02),  # returned goods
        ("2225", 0.02),  # equipment of foreign-invested firms
        ("1233", 0.04),  # bonded warehouse goods
        ("0615", 0.03),
    ),
    "processing": (
        ("0615", 0.38),  # processing with imported materials (进料对口)
        ("0214", 0.20),  # processing with supplied materials (来料加工)
        ("0654", 0.08),  # deep processing carry-over
        ("0110", 0.30),
        ("4561", 0.04),
    ),
    "ecommerce": (
        ("9610", 0.40),  # cross-border e-commerce retail
        ("1210", 0.25),  # bonded e-commerce
        ("9710", 0.10),  # cross-border B2B direct export
        ("9810", 0.05),  # export to overseas warehouse
        ("0110", 0.20),
    ),
}
PROFILES = (("general", 0.70), ("processing", 0.18), ("ecommerce", 0.12))
# Modes whose declarations are mostly customs filing lists (清单) rather than entries.
FILING_LIST_MODES = frozenset({"9610", "1210"})

# Company-name parts: <city><two trade-name characters><industry><suffix>.
NAME_CHARS = (
    "华贸嘉诚恒达信通联盛泰鑫源德隆瑞丰海宏远中科创新天润金佳汇博安康美明腾飞星辰誉昌兴伟立志"
    "永顺宝富东南锦荣升和益正祥"
)
INDUSTRIES = (
    "进出口",
    "国际贸易",
    "电子科技",
    "机械设备",
    "纺织品",
    "食品",
    "化工",
    "医疗器械",
    "汽车零部件",
    "家居用品",
    "光电科技",
    "新能源科技",
    "供应链管理",
    "实业",
)
BROKER_INDUSTRIES = ("报关", "报关行", "国际货运代理", "国际物流", "报关服务")
SUFFIXES = (("有限公司", 0.8), ("股份有限公司", 0.12), ("有限责任公司", 0.08))

# Self-assessment catalogue: (item_code, module, department).
ASSESSMENT_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("IC-1.1", "internal_control", "management"),
    ("IC-1.2", "internal_control", "management"),
    ("IC-2.1", "internal_control", "internal_audit"),
    ("IC-2.2", "internal_control", "internal_audit"),
    ("IC-3.1", "internal_control", "customs_affairs"),
    ("IC-3.2", "internal_control", "customs_affairs"),
    ("IC-4.1", "internal_control", "it"),
    ("FS-1.1", "financial", "finance"),
    ("FS-2.1", "financial", "finance"),
    ("FS-2.2", "financial", "finance"),
    ("CO-1.1", "compliance", "customs_affairs"),
    ("CO-2.1", "compliance", "management"),
    ("CO-3.1", "compliance", "customs_affairs"),
    ("CO-3.2", "compliance", "customs_affairs"),
    ("TS-1.1", "trade_security", "security"),
    ("TS-2.1", "trade_security", "security"),
    ("TS-3.1", "trade_security", "logistics"),
    ("TS-4.1", "trade_security", "logistics"),
    ("TS-4.2", "trade_security", "it"),
    ("TS-5.1", "trade_security", "security"),
    ("AD-1", "additional", "management"),
    ("AD-2", "additional", "management"),
)

# Reason codes of declaration changes: (code, is_error_kind); error kinds are the recorded errors.
CHANGE_REASONS: tuple[tuple[str, bool], ...] = (
    ("R101", True),  # price or value misdeclared
    ("R102", True),  # quantity or unit misdeclared
    ("R103", True),  # HS code misclassified
    ("R104", True),  # origin misdeclared
    ("R201", False),  # logistics change (vessel, voyage)
    ("R202", False),  # contract change after declaration
    ("R301", False),  # goods not shipped (cancel)
    ("R302", False),  # duplicate declaration (cancel)
)

# Monthly seasonality of trade volume (peak Sep-Nov before Christmas / Singles' Day).
MONTH_FACTORS = (1.00, 0.95, 1.02, 1.00, 1.00, 1.03, 1.05, 1.08, 1.18, 1.24, 1.28, 1.14)
WEEKDAY_FACTORS = (1.0, 1.0, 1.0, 1.0, 0.97, 0.42, 0.28)  # Mon..Sun

# Chinese New Year's day (正月初一); declarations nearly stop in the holiday week.
CNY_DATES = {
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
    2031: "2031-01-23",
    2032: "2032-02-11",
}
