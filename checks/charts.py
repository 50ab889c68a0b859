"""Small SVG bar charts, drawn at build time: no script, no web font, readable in both palettes.

Bars take the theme's accent colour through CSS variables, text takes ``currentColor``,
so the same SVG reads on the light and the dark palette. Each chart carries a title and
a text alternative for screen readers.
"""

from __future__ import annotations

from html import escape

WIDTH = 560
ROW = 30
LEFT = 150
RIGHT = 90


def bars(title: str, rows: list[tuple[str, float, str]], scale_max: float | None = None) -> str:
    """Horizontal bars: (label, value, value text) per row; ``scale_max`` is the full-width value."""
    top = 30
    height = top + ROW * len(rows) + 10
    peak = scale_max or max((v for _, v, _ in rows), default=0) or 1
    span = WIDTH - LEFT - RIGHT
    alt = "; ".join(f"{label}: {text}" for label, _, text in rows)
    parts = [
        f'<svg class="bridge-chart" role="img" aria-label="{escape(title)}: {escape(alt)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" style="max-width:100%;height:auto" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="14" font-weight="700" fill="currentColor">{escape(title)}</text>',
    ]
    for i, (label, value, text) in enumerate(rows):
        y = top + i * ROW
        w = max(0.0, min(1.0, value / peak)) * span
        parts.append(f'<text x="{LEFT - 8}" y="{y + 17}" font-size="13" text-anchor="end" '
                     f'fill="currentColor">{escape(label)}</text>')
        parts.append(f'<rect x="{LEFT}" y="{y + 4}" width="{span}" height="18" rx="2" '
                     'style="fill:currentColor;opacity:0.08"/>')
        parts.append(f'<rect x="{LEFT}" y="{y + 4}" width="{w:.1f}" height="18" rx="2" '
                     'style="fill:var(--md-accent-fg-color, #526cfe)"/>')
        parts.append(f'<text x="{LEFT + span + 8}" y="{y + 17}" font-size="13" '
                     f'fill="currentColor">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def similarity_distribution(buckets: dict[str, float]) -> str:
    rows = [(f"{k} similar", v, f"{v:.1%}") for k, v in buckets.items()]
    return bars("Similarity to the most similar earlier query", rows, 1.0)


def layer_rates(rates: dict[str, float]) -> str:
    from .querylog import LAYER_TABLE

    known = [(layer.label, layer.name) for layer in LAYER_TABLE]
    known += [(name, name) for name in rates if name not in {n for _, n in known}]  # never silently dropped
    rows = [(label, rates[name], f"{rates[name]:.1%}") for label, name in known if name in rates]
    return bars("Requests answered by each cache layer", rows, 1.0)


def cost_compare(baseline_per_day: float, current_per_day: float) -> str:
    rows = [("no cache (baseline)", baseline_per_day, f"${baseline_per_day:,.2f}/day"),
            ("with your cache", current_per_day, f"${current_per_day:,.2f}/day")]
    return bars("Cost per day: baseline against actual", rows)
