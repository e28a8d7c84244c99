"""Charts drawn as inline SVG strings: the report must render with no network and no scripts.

Inline <svg> in HTML needs no xmlns, so the page holds no URL at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

RED, AMBER, GREEN, GREY, BLUE, INK = "#c0392b", "#d68910", "#1e8449", "#95a5a6", "#2e86c1", "#222"
FONT = "font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif\""


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, s: str, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


@dataclass(frozen=True)
class TimelineItem:
    label: str
    expiry: date | None


def timeline(as_of: date, items: list[TimelineItem], earliest: date | None, title: str) -> str:
    """One bar per blocker from the as-of date to its expiry; open-ended bars have no expiry."""
    left, right, top, row_h = 150, 20, 34, 30
    width = 820
    dated = [i.expiry for i in items if i.expiry] + ([earliest] if earliest else [])
    end = max(dated + [as_of + timedelta(days=365)])
    end = date(end.year + 1, 1, 1)  # whole years on the axis
    span = max((end - as_of).days, 1)
    plot_w = width - left - right

    def x(d: date) -> float:
        return left + plot_w * (d - as_of).days / span

    height = top + row_h * max(len(items), 1) + 40
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for year in range(as_of.year + 1, end.year + 1):
        xx = x(date(year, 1, 1))
        body.append(
            f'<line x1="{xx:.1f}" y1="{top - 8}" x2="{xx:.1f}" y2="{height - 28}" stroke="#ddd"/>'
        )
        body.append(_text(xx, height - 12, str(year), "middle", fill="#666"))
    body.append(_text(left, top - 14, f"{as_of}", "start", fill=INK, font_weight="bold"))
    if not items:
        body.append(_text(left + 10, top + 18, "—", fill=GREEN))
    for n, item in enumerate(items):
        y = top + n * row_h
        body.append(_text(left - 8, y + 17, item.label, "end", fill=INK))
        if item.expiry:
            w = max(x(item.expiry) - left, 2)
            body.append(
                f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="16" rx="3" fill="{AMBER}"/>'
            )
            tx, anchor = (x(item.expiry) + 4, "start")
            if tx > width - 90:
                tx, anchor = (x(item.expiry) - 4, "end")
            colour = INK if anchor == "start" else "#fff"
            body.append(_text(tx, y + 17, str(item.expiry), anchor, fill=colour))
        else:
            body.append(
                f'<rect x="{left}" y="{y + 5}" width="{plot_w}" height="16" rx="3" '
                f'fill="{RED}" fill-opacity="0.25" stroke="{RED}" stroke-dasharray="4 3"/>'
            )
            body.append(
                _text(left + 6, y + 17, "无到期日：须采取行动 / no expiry: action needed", fill=RED)
            )
    if earliest:
        xe = x(earliest)
        body.append(
            f'<line x1="{xe:.1f}" y1="{top - 6}" x2="{xe:.1f}" y2="{height - 28}" '
            f'stroke="{GREEN}" stroke-width="2"/>'
        )
        body.append(
            _text(
                xe,
                top - 14,
                f"最早申请 earliest {earliest}",
                "end" if xe > width / 2 else "start",
                fill=GREEN,
            )
        )
    body.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{height - 28}" stroke="{INK}"/>')
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    limit: float | None
    state: str  # ok | warn | over
    value_text: str
    limit_text: str


def headroom(bars: list[Bar], title: str) -> str:
    """Horizontal bars of a measured value against its limit (a vertical mark)."""
    left, width, row_h, top = 220, 820, 46, 10
    plot_w = width - left - 130
    height = top + row_h * len(bars) + 6
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for n, b in enumerate(bars):
        y = top + n * row_h
        scale = max(b.value, b.limit or 0, 1e-9) * 1.15
        colour = {"ok": GREEN, "warn": AMBER, "over": RED}[b.state]
        body.append(_text(left - 10, y + 20, b.label, "end", fill=INK))
        body.append(f'<rect x="{left}" y="{y + 6}" width="{plot_w}" height="20" fill="#f2f3f4"/>')
        w = plot_w * b.value / scale
        body.append(f'<rect x="{left}" y="{y + 6}" width="{w:.1f}" height="20" fill="{colour}"/>')
        if b.limit is not None:
            lx = left + plot_w * b.limit / scale
            body.append(
                f'<line x1="{lx:.1f}" y1="{y + 1}" x2="{lx:.1f}" y2="{y + 31}" '
                f'stroke="{INK}" stroke-width="2"/>'
            )
            body.append(
                _text(
                    lx, y + 42, f"限值 limit {b.limit_text}", "middle", fill="#555", font_size="11"
                )
            )
        body.append(_text(left + plot_w + 8, y + 20, b.value_text, fill=colour, font_weight="bold"))
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class Column:
    label: str
    value: float | None
    caption: str


def columns(cols: list[Column], limit: float | None, title: str, percent: bool = True) -> str:
    """Vertical bars (e.g. error rate by quarter) with an optional limit line."""
    width, height, left, bottom, top = 820, 240, 50, 40, 20
    plot_h = height - top - bottom
    plot_w = width - left - 90  # right margin holds the limit label
    values = [c.value for c in cols if c.value is not None]
    peak = max(values + ([limit] if limit else []) + [1e-9]) * 1.2
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for k in range(5):
        v = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>'
        )
        body.append(
            _text(
                left - 6,
                y + 4,
                f"{v:.1%}" if percent else f"{v:,.0f}",
                "end",
                fill="#666",
                font_size="10",
            )
        )
    slot = plot_w / max(len(cols), 1)
    for n, c in enumerate(cols):
        cx = left + slot * n + slot / 2
        body.append(_text(cx, height - bottom + 16, c.label, "middle", fill=INK))
        if c.value is None:
            body.append(_text(cx, top + plot_h - 4, "—", "middle", fill=GREY))
            continue
        h = plot_h * c.value / peak
        over = limit is not None and c.value > limit
        body.append(
            f'<rect x="{cx - slot * 0.3:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{slot * 0.6:.1f}" height="{h:.1f}" fill="{RED if over else BLUE}"/>'
        )
        body.append(
            _text(
                cx,
                top + plot_h - h - 4,
                f"{c.value:.1%}" if percent else f"{c.value:,.0f}",
                "middle",
                fill=INK,
                font_size="11",
            )
        )
        body.append(
            _text(cx, height - bottom + 30, c.caption, "middle", fill="#777", font_size="10")
        )
    if limit is not None:
        ly = top + plot_h - plot_h * limit / peak
        body.append(
            f'<line x1="{left}" y1="{ly:.1f}" x2="{left + plot_w}" y2="{ly:.1f}" '
            f'stroke="{RED}" stroke-dasharray="6 4" stroke-width="1.5"/>'
        )
        body.append(
            _text(
                left + plot_w + 6,
                ly + 4,
                f"限值 limit {limit:.1%}" if percent else f"limit {limit:,.0f}",
                "start",
                fill=RED,
            )
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    )
    return _svg(width, height, body, title)


def level_bars(counts: list[tuple[str, int, int, str]], title: str) -> str:
    """Portfolio: enterprises per level (label, total, ready, colour), ready part darker."""
    left, width, row_h, top = 330, 820, 30, 8
    plot_w = width - left - 140
    height = top + row_h * len(counts) + 8
    peak = max([c[1] for c in counts] + [1])
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for n, (label, total, ready, colour) in enumerate(counts):
        y = top + n * row_h
        body.append(_text(left - 10, y + 18, label, "end", fill=INK))
        w = plot_w * total / peak
        body.append(
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="18" fill="{colour}" '
            f'fill-opacity="0.45"/>'
        )
        wr = plot_w * ready / peak
        body.append(f'<rect x="{left}" y="{y + 5}" width="{wr:.1f}" height="18" fill="{colour}"/>')
        body.append(_text(left + w + 8, y + 18, f"{total}（可申请 ready {ready}）", fill=INK))
    return _svg(width, height, body, title)
