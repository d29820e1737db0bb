"""Inline SVG charts for the report: no script, no external asset, every label escaped."""
from __future__ import annotations

from html import escape

# Verdict and severity colours; chosen to stay apart in greyscale print and for
# red-green colour blindness (they differ in lightness, and labels carry the meaning).
from ..palette import VERDICT_COLOURS  # noqa: E402  one colour per verdict everywhere

COLOURS = {**{v: c for v, c in VERDICT_COLOURS.items() if v != "none"},
           "high": "#b42318", "medium": "#dc6803", "low": "#98a2b3"}


def bar_chart(title: str, bars: list[tuple[str, int, str]], width: int = 240) -> str:
    """A horizontal bar chart as an inline ``<svg>``; ``bars`` are (label, value, colour).

    >>> svg = bar_chart("Findings", [("high <b>", 3, "#b42318"), ("low", 1, "#98a2b3")])
    >>> svg.startswith("<svg") and "high &lt;b&gt;" in svg and "<script" not in svg
    True
    """
    row_h, label_w, top = 24, 112, 28
    value_w = 30
    bar_w = width - label_w - value_w - 10
    height = top + row_h * len(bars) + 6
    peak = max([v for _, v, _ in bars] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, (label, value, colour) in enumerate(bars):
        y = top + i * row_h
        w = 0 if not value else max(2, round(bar_w * value / peak))
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 8}" rx="2" '
                     f'fill="{escape(colour)}"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 15}" class="chart-value">{int(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)
