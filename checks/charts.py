"""Small SVG pictures, drawn at build time: no script, no web font, readable in both palettes and on a phone.

Marks take the theme's accent or a status colour, text takes ``currentColor``, so the same SVG reads on
the light and the dark palette. Every picture is ``WIDTH`` units wide and scales down with the page:
a 390-px phone shows it about 330 px wide, so the smallest text (``FONT``) stays above 11 px. Labels
sit above their bars, never in a column beside them. Each picture carries a title, a description and
an ``aria-label`` that say in words what it shows.
"""

from __future__ import annotations

import math
from html import escape

WIDTH = 360
PAD = 2  # text kept this far from the edges: a glyph's overhang ("Y", "W") must not be cut off
FONT = 13  # 13 × 330 / 360 ≈ 11.9 px on a 390-px phone
TITLE_FONT = 14
ROW = 44  # a label line and a bar
BAR_H = 16
ACCENT = "var(--md-accent-fg-color, #526cfe)"
# Material's admonition colours: a status reads the same in the box and in the picture.
STATUS_COLOUR = {"pass": "#00c853", "warn": "#ff9100", "fail": "#ff5252", "skip": "#448aff", "error": "#f50057"}
STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP", "error": "ERROR"}


def _svg(title: str, alt: str, height: float, body: list[str], kind: str) -> str:
    height = math.ceil(height)
    return "".join([
        f'<svg class="bridge-chart bridge-chart-{kind}" role="img" aria-label="{escape(title)}: {escape(alt)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" style="max-width:100%;height:auto" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(alt)}</desc>",
        f'<text x="{PAD}" y="16" font-size="{TITLE_FONT}" font-weight="700" fill="currentColor">{escape(title)}</text>',
        *body, "</svg>"])


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = FONT, weight: str = "400",
          fill: str = "currentColor") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
            f'fill="{fill}">{escape(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, style: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(0.0, w):.1f}" height="{h:.1f}" rx="2" style="{style}"/>'


TRACK = "fill:currentColor;opacity:0.10"
SOLID = f"fill:{ACCENT}"
LIGHT = f"fill:{ACCENT};opacity:0.40"


def bars(title: str, rows: list[tuple[str, float, str]], scale_max: float | None = None) -> str:
    """Horizontal bars, each under its label, its value at the right: (label, value, value text)."""
    top = 28
    peak = scale_max or max((v for _, v, _ in rows), default=0) or 1
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = top + i * ROW
        body.append(_text(PAD, y + 13, label))
        body.append(_text(WIDTH - PAD, y + 13, text, "end", weight="700"))
        body.append(_rect(0, y + 19, WIDTH, BAR_H, TRACK))
        body.append(_rect(0, y + 19, max(0.0, min(1.0, value / peak)) * WIDTH, BAR_H, SOLID))
    alt = "; ".join(f"{label}: {text}" for label, _, text in rows)
    return _svg(title, alt, top + ROW * len(rows) + 4, body, "bars")


def similarity_distribution(buckets: dict[str, float]) -> str:
    rows = [(f"{k} similar", v, f"{v:.1%}") for k, v in buckets.items()]
    return bars("Similarity to the most similar earlier query", rows, 1.0)


def layer_rates(rates: dict[str, float]) -> str:
    from .querylog import LAYER_TABLE

    known = [(layer.label, layer.name) for layer in LAYER_TABLE]
    known += [(name, name) for name in rates if name not in {n for _, n in known}]  # never silently dropped
    rows = [(label, rates[name], f"{rates[name]:.1%}") for label, name in known if name in rates]
    return bars("Requests answered by each cache layer", rows, 1.0)


def gauge(title: str, value: float, bar: float, caption: str) -> str:
    """A half-circle gauge from 0 to 100%, the bar marked on it, the value in the middle."""
    cx, cy, r, stroke = WIDTH / 2, 150, 110, 22
    value = max(0.0, min(1.0, value))

    def at(p: float, radius: float = r) -> tuple[float, float]:
        return cx - radius * math.cos(math.pi * p), cy - radius * math.sin(math.pi * p)

    def arc(p: float) -> str:
        x0, y0 = at(0)
        x1, y1 = at(p)
        return f"M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {x1:.1f},{y1:.1f}"

    colour = STATUS_COLOUR["pass"] if value >= bar else STATUS_COLOUR["warn"]
    body = [f'<path d="{arc(1)}" fill="none" stroke="currentColor" stroke-opacity="0.12" stroke-width="{stroke}"/>']
    if value > 0:
        body.append(f'<path d="{arc(value)}" fill="none" stroke="{colour}" stroke-width="{stroke}"/>')
    (bx0, by0), (bx1, by1) = at(bar, r - stroke / 2 - 4), at(bar, r + stroke / 2 + 4)
    lx, ly = at(bar, r + stroke / 2 + 10)
    body += [f'<line x1="{bx0:.1f}" y1="{by0:.1f}" x2="{bx1:.1f}" y2="{by1:.1f}" stroke="currentColor" '
             'stroke-width="3"/>',
             _text(lx - 4, ly - 2, f"bar {bar:.0%}", "end", weight="700"),
             _text(cx, cy - 22, f"{value:.1%}", "middle", size=30, weight="700"),
             _text(cx, cy, caption, "middle"),
             _text(cx - r, cy + 22, "0%", "middle"), _text(cx + r, cy + 22, "100%", "middle")]
    verdict = "at or above" if value >= bar else "below"
    return _svg(title, f"{caption} {value:.1%}, {verdict} the bar of {bar:.0%}", cy + 30, body, "gauge")


def diversity_scale(score: float, low: float, high: float, focus: str) -> str:
    """A 0-100 scale in three zones (cache tuning, balanced, compression) with the learner's marker."""
    top, h = 64, 22
    score = max(0.0, min(1.0, score))
    zones = [(0.0, low, "cache tuning", 0.10), (low, high, "balanced", 0.20), (high, 1.0, "compression", 0.10)]
    body = []
    for a, b, name, opacity in zones:
        body.append(_rect(a * WIDTH, top, (b - a) * WIDTH, h, f"fill:currentColor;opacity:{opacity}"))
        body.append(_text((a + b) / 2 * WIDTH, top + h + 18, name, "middle"))
    for edge in (low, high):
        body.append(_text(edge * WIDTH, top + h + 36, f"{edge:.0%}", "middle"))
    body.append(_text(PAD, top + h + 36, "0", "start"))
    body.append(_text(WIDTH - PAD, top + h + 36, "100%", "end"))
    x = score * WIDTH
    body.append(f'<polygon points="{x - 8:.1f},{top - 14} {x + 8:.1f},{top - 14} {x:.1f},{top - 2}" '
                f'style="fill:{ACCENT}"/>')
    body.append(f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{top + h}" stroke="{ACCENT}" stroke-width="3"/>')
    anchor = "start" if score < 0.2 else "end" if score > 0.8 else "middle"
    body.append(_text(x, top - 20, f"you: {score:.1%}", anchor, weight="700"))
    alt = (f"diversity {score:.1%} on a scale from 0 to 100%: under {low:.0%} cache tuning, {low:.0%} to {high:.0%} "
           f"balanced, over {high:.0%} prompt compression; your focus: {focus}")
    return _svg("Query diversity and the M2.2 focus", alt, top + h + 42, body, "scale")


def cost_compare(baseline: float, current: float, running: float | None = None, band: tuple[float, float] = (0.3, 0.7),
                 break_even: float | None = None, per: str = "day") -> str:
    """Cost without and with the cache (its running costs stacked on), the band of savings a working
    cache reaches, and the break-even line: where the cache would cost as much as it saves."""
    running = running or 0.0
    top = 46
    peak = max(baseline, current + running) * 1.08 or 1
    scale = WIDTH / peak
    lo, hi = band
    body = [_rect((1 - hi) * baseline * scale, top - 8, (hi - lo) * baseline * scale, 2 * ROW + 4,
                  f"fill:{STATUS_COLOUR['pass']};opacity:0.16"),
            _text((1 - (lo + hi) / 2) * baseline * scale, top - 14, f"{lo:.0%}–{hi:.0%} saved", "middle")]
    rows = [("No cache (baseline)", baseline, 0.0), ("With your cache" + (" + running costs" if running else ""),
                                                     current, running)]
    for i, (label, amount, extra) in enumerate(rows):
        y = top + i * ROW
        total = amount + extra
        body.append(_text(PAD, y + 13, label))
        body.append(_text(WIDTH - PAD, y + 13, f"${total:,.2f}/{per}", "end", weight="700"))
        body.append(_rect(0, y + 19, amount * scale, BAR_H, SOLID))
        if extra:
            body.append(_rect(amount * scale, y + 19, extra * scale, BAR_H, LIGHT))
    x = baseline * scale
    for i in range(2):  # across the bars only: the amounts on the label lines stay clear
        y = top + i * ROW + 17
        body.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + BAR_H + 4}" stroke="currentColor" '
                    'stroke-width="2" stroke-dasharray="4 3"/>')
    even = "break-even" + (f" at a {break_even:.0%} hit rate" if break_even is not None else "")
    body.append(_text(min(x, WIDTH), top + 2 * ROW + 16, even, "end"))
    saved = 1 - (current + running) / baseline if baseline else 0.0
    alt = (f"no cache ${baseline:,.2f} per {per}; with the cache ${current:,.2f}"
           + (f" plus ${running:,.2f} running costs" if running else "")
           + f", {saved:.1%} saved; a working cache saves {lo:.0%} to {hi:.0%}; the cache breaks even where its "
             "total reaches the baseline" + (f" (a request hit rate of {break_even:.1%})" if break_even else ""))
    return _svg(f"Cost per {per}: baseline against your cache", alt, top + 2 * ROW + 22, body, "cost")


def tiles(items: list[tuple[str, str, str, str]]) -> str:
    """One tile per check, two by two: (name, status, value, link text for the alternative)."""
    gap, tw, th, top = 8, (WIDTH - 8) / 2, 92, 26
    body = []
    for i, (name, status, value, _) in enumerate(items):
        x, y = (i % 2) * (tw + gap), top + (i // 2) * (th + gap)
        colour = STATUS_COLOUR.get(status, STATUS_COLOUR["skip"])
        body.append(_rect(x, y, tw, th, "fill:currentColor;opacity:0.06"))
        body.append(_rect(x, y, 5, th, f"fill:{colour}"))
        body.append(_text(x + 12, y + 20, name, weight="700"))
        body.append(_rect(x + 12, y + 28, 52, 19, f"fill:{colour}"))
        body.append(_text(x + 38, y + 42, STATUS_WORD.get(status, status.upper()), "middle", weight="700",
                          fill="#000"))
        for j, line in enumerate(_wrap(value, 23, 2)):
            body.append(_text(x + 12, y + 64 + 17 * j, line))
    alt = "; ".join(f"{name}: {STATUS_WORD.get(status, status)}{', ' + value if value else ''}"
                    for name, status, value, _ in items)
    rows = (len(items) + 1) // 2
    return _svg("The four checks", alt, top + rows * (th + gap), body, "tiles")


def _fit(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` characters, words kept whole, the rest cut with …"""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= width:
            line += " " + words.pop(0)
        out.append(_fit(line, width))
    if words and out:
        out[-1] = _fit(out[-1] + " " + " ".join(words), width)
    return out


def waterfall(baseline: float, after_cache: float, compression: tuple[float, float], m22: tuple[float, float],
              target: tuple[float, float] = (0.5, 0.7)) -> str:
    """Per month: the baseline, what the cache takes off (net of its running costs), then compression and
    routing (low end solid, high end lighter), and what is left, beside the course's target band."""
    c_lo, c_hi = compression
    m_lo, m_hi = m22
    r_lo = m_lo - c_lo  # routing on top of compression at the low end (so the steps add up)
    peak = max(baseline, after_cache) * 1.04 or 1
    s = WIDTH / peak
    top = 46
    t_lo, t_hi = target
    body = [_rect((1 - t_hi) * baseline * s, top - 8, (t_hi - t_lo) * baseline * s, 5 * ROW + 4,
                  f"fill:{STATUS_COLOUR['pass']};opacity:0.16"),
            _text((1 - (t_lo + t_hi) / 2) * baseline * s, top - 14, f"course target: {t_lo:.0%}–{t_hi:.0%} below",
                  "middle")]
    steps = [("No cache (baseline)", f"${baseline:,.2f}", [(0, baseline, SOLID)]),
             ("Your cache, net of running costs", (f"−${baseline - after_cache:,.2f}" if after_cache <= baseline
                                                    else f"+${after_cache - baseline:,.2f} (it costs more)"),
              [(min(after_cache, baseline), max(after_cache, baseline), LIGHT)]),
             ("Prompt compression, 30–50%", f"−${c_lo:,.2f} to −${c_hi:,.2f}",
              [(after_cache - c_lo, after_cache, LIGHT), (after_cache - c_hi, after_cache - c_lo, TRACK)]),
             ("Routing simple calls", f"−${r_lo:,.2f}", [(after_cache - m_lo, after_cache - c_lo, LIGHT)]),
             ("After the cache and M2.2", f"${after_cache - m_hi:,.2f}–${after_cache - m_lo:,.2f}",
              [(0, after_cache - m_hi, SOLID), (after_cache - m_hi, after_cache - m_lo, LIGHT)])]
    for i, (label, text, spans) in enumerate(steps):
        y = top + i * ROW
        body.append(_text(PAD, y + 13, label))
        body.append(_text(WIDTH - PAD, y + 13, text, "end", weight="700"))
        for a, b, style in spans:
            body.append(_rect(max(0.0, a) * s, y + 19, (b - max(0.0, a)) * s, BAR_H, style))
    reduction = (1 - (after_cache - m_lo) / baseline, 1 - (after_cache - m_hi) / baseline) if baseline else (0, 0)
    alt = (f"per month: ${baseline:,.2f} without a cache; ${after_cache:,.2f} with your cache and its running costs; "
           f"compression takes ${c_lo:,.2f} to ${c_hi:,.2f} off, routing about ${r_lo:,.2f} more; "
           f"${after_cache - m_hi:,.2f} to ${after_cache - m_lo:,.2f} left, {reduction[0]:.0%} to {reduction[1]:.0%} "
           f"below the baseline, against the course's target of {t_lo:.0%} to {t_hi:.0%}")
    return _svg("Baseline → your cache → M2.2, per month", alt, top + 5 * ROW + 6, body, "waterfall")
