"""Geometry of the server-drawn SVG bar charts on /stats: the template only places what is here.

Horizontal bars, one row per value, in a fixed viewBox that CSS scales to the column's width.
No style="" anywhere (the CSP has no 'unsafe-inline'): colours come from classes in site.css.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.stats import Chart

WIDTH = 640
LABEL_WIDTH = 210  # labels end here, right-aligned
BAR_START = 218
BAR_SPACE = 360  # the longest bar; the rest of the width holds its number
ROW_HEIGHT = 26
BAR_HEIGHT = 18
PADDING = 6
LABEL_CHARS = 30


@dataclass(frozen=True)
class SvgBar:
    label: str  # full text, for the <title> a pointer shows
    short_label: str  # what fits left of the bar
    count: int
    child: bool
    y: int  # top of the bar
    text_y: int  # baseline for the label and the number
    width: int
    value_x: int


@dataclass(frozen=True)
class SvgBarChart:
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int
    bars: list[SvgBar]


def bar_chart(chart: Chart) -> SvgBarChart:
    largest = chart.largest or 1
    bars: list[SvgBar] = []
    for index, bar in enumerate(chart.bars):
        y = PADDING + index * ROW_HEIGHT
        width = round(BAR_SPACE * bar.count / largest)
        label = f"– {bar.label}" if bar.depth else bar.label
        bars.append(
            SvgBar(
                label=label,
                short_label=_shorten(label),
                count=bar.count,
                child=bar.depth > 0,
                y=y,
                text_y=y + BAR_HEIGHT - 4,
                width=width,
                value_x=BAR_START + width + 6,
            )
        )
    return SvgBarChart(
        width=WIDTH,
        height=PADDING * 2 + max(1, len(bars)) * ROW_HEIGHT,
        label_x=LABEL_WIDTH,
        bar_x=BAR_START,
        bar_height=BAR_HEIGHT,
        bars=bars,
    )


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
