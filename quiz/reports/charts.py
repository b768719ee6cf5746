"""Charts drawn on the server as SVG text: no chart library, no script, no web font.

A chart is a pure function of its data returning :class:`markupsafe.Markup`. Every piece of
text in it (title, labels, legend) is escaped here, so a unit called ``<script>`` shows as
text; numbers are formatted by us. The SVG has a ``viewBox`` (it scales to its container),
``role="img"`` with ``<title>`` and ``<desc>`` for screen readers, and is a complete document
(``xmlns``), so the same text is served as a downloadable ``.svg`` file.

Layout: bars from a zero baseline; the value axis runs to a "nice" round top (steps of 1, 2
or 5 × 10ⁿ, see :func:`nice_ticks`) with a grid line per tick; each bar carries its value
above it; category labels under the bars are thinned out when they would overlap. Several
series are drawn as grouped bars with a legend. No data (no categories, or every value 0):
a frame saying 暂无数据.
"""
from __future__ import annotations

import math
from typing import Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 44, 56
COLOURS = ("#1f6fb2", "#e07b20", "#3a9b5c", "#8e5ab5")
FONT = "sans-serif"  # the reader's own font: nothing is downloaded


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 covering ``maximum``: steps of 1, 2 or 5 × 10ⁿ, about ``count``.

    ``nice_ticks(87) == [0, 20, 40, 60, 80, 100]``; ``nice_ticks(3) == [0, 1, 2, 3]``;
    counts never get fractional steps (a maximum below 1 still gives 0..1).
    """
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if maximum >= 1:
        step = max(step, 1)
    top = math.ceil(maximum / step - 1e-9) * step
    ticks = []
    value = 0.0
    while value <= top + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _number(value: float) -> str:
    value = float(value)
    if value.is_integer():
        return f"{int(value):d}"
    return f"{value:.1f}"


def _text(x: float, y: float, content, *, size: int = 12, anchor: str = "middle",
          fill: str = "#333", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}"{extra}>{escape(content)}</text>')


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], title: str,
              *, description: str = "", unit: str = "", ident: str = "chart",
              width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """A bar chart: one group of bars per label, one bar per series (with a legend if > 1).

    ``series`` is a list of (name, values) with one value per label. ``unit`` is appended to
    the value axis title (e.g. "人"). ``description`` is the accessible ``<desc>``; by default
    it lists every label with its values. ``ident`` prefixes the ids of ``<title>`` and
    ``<desc>`` (letters, digits and "-" only), so that several charts can share a page.
    """
    ident = "".join(ch for ch in ident if ch.isascii() and (ch.isalnum() or ch == "-")) or "chart"
    labels = [str(label) for label in labels]
    series = [(str(name), [float(v or 0) for v in values]) for name, values in series]
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    empty = not labels or not series or all(v == 0 for _name, values in series for v in values)
    if not description:
        if empty:
            description = _("暂无数据")
        else:
            description = _("；").join(
                _("%(label)s：%(values)s", label=label,
                  values=_("，").join(f"{name} {_number(values[i])}" for name, values in series))
                for i, label in enumerate(labels)
            )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{FONT}" class="chart" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        _text(width / 2, 24, title, size=16, fill="#111", extra=' font-weight="bold"'),
    ]
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    if empty:
        parts.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
                     f'fill="none" stroke="#ccc"/>')
        parts.append(_text(width / 2, (top + bottom) / 2, _("暂无数据"), size=18, fill="#888"))
        parts.append("</svg>")
        return Markup("".join(parts))

    maximum = max(v for _name, values in series for v in values)
    ticks = nice_ticks(maximum)
    axis_top = ticks[-1]
    plot_height = bottom - top

    def y_of(value: float) -> float:
        return bottom - value / axis_top * plot_height

    # Grid and value axis.
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                     f'stroke="{"#999" if tick == 0 else "#e5e5e5"}" stroke-width="1"/>')
        parts.append(_text(left - 6, y + 4, _number(tick), size=11, anchor="end", fill="#666"))
    if unit:
        parts.append(_text(12, top - 10, _("（%(unit)s）", unit=unit), size=11, anchor="start", fill="#666"))

    # Bars.
    slot = (right - left) / len(labels)
    group_width = slot * 0.76
    bar_width = group_width / len(series)
    value_size = 11 if bar_width >= 18 else (9 if bar_width >= 10 else 0)
    for index, label in enumerate(labels):
        x0 = left + slot * index + (slot - group_width) / 2
        bar_titles = [_("%(label)s %(name)s：", label=label, name=name) for name, _values in series]
        for number, (name, values) in enumerate(series):
            value = values[index]
            x = x0 + bar_width * number
            y = y_of(value)
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_width - 1, 1):.1f}" '
                f'height="{bottom - y:.1f}" fill="{COLOURS[number % len(COLOURS)]}" '
                f'data-value="{_number(value)}"><title>{escape(bar_titles[number])}'
                f'{_number(value)}</title></rect>'
            )
            if value_size and value > 0:
                parts.append(_text(x + bar_width / 2, y - 3, _number(value), size=value_size, fill="#333"))

    # Category labels, thinned out so that they do not overlap (about 7 px per character).
    longest = max(len(label) for label in labels) * 7 + 6
    every = max(1, math.ceil(longest / slot))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = left + slot * (index + 0.5)
        parts.append(_text(x, bottom + 16, label, size=11, fill="#444"))

    # Legend.
    if len(series) > 1:
        x = left
        for number, (name, _values) in enumerate(series):
            parts.append(f'<rect x="{x}" y="{height - 20}" width="12" height="12" '
                         f'fill="{COLOURS[number % len(COLOURS)]}"/>')
            parts.append(_text(x + 16, height - 10, name, size=12, anchor="start"))
            x += 24 + 14 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
