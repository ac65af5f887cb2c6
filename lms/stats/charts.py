"""Simple charts as SVG drawn on the server, for the annual report's PDF (WeasyPrint draws SVG; the
dashboard itself uses ECharts in the browser, and there is no Node at run time to render ECharts
here). Bars and lines with their values written on them, so a printed page can be read without
colour."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 62
COLOURS = ["#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d68910"]


def _frame(title: str, inner: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" font-family="Noto Sans CJK SC, sans-serif" font-size="11">'
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">'
        f"{escape(title)}</text>{inner}</svg>"
    )


def _axes(top: float) -> tuple[str, float, float]:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    lines = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        lines.append(f'<text x="{LEFT - 4}" y="{y + 4}" text-anchor="end">{_fmt(value)}</text>')
        if i:
            lines.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#ddd"/>')
    return "".join(lines), plot_w, plot_h


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


def _top(values: Sequence[float]) -> float:
    top = max([v for v in values if v is not None] or [0])
    return top if top > 0 else 1


def _legend(names: Sequence[str]) -> str:
    parts = []
    for i, name in enumerate(names):
        x = LEFT + i * 150
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 5}">{escape(name)}</text>'
        )
    return "".join(parts)


def _label(x: float, text: str) -> str:
    text = text if len(text) <= 8 else text[:7] + "…"
    return f'<text x="{x}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{escape(text)}</text>'


def bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """Grouped bars: one group per label, one bar per series, each with its value."""
    names = list(series)
    top = _top([v for values in series.values() for v in values])
    axes, plot_w, plot_h = _axes(top)
    group_w = plot_w / max(1, len(labels))
    bar_w = max(2.0, group_w * 0.8 / max(1, len(names)))
    parts = [axes]
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s, name in enumerate(names):
            value = series[name][g] or 0
            h = plot_h * value / top
            x = x0 + s * bar_w
            y = TOP + plot_h - h
            colour = COLOURS[s % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{colour}"/>'
            )
            if len(labels) * len(names) <= 40:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle" font-size="9">'
                    f"{_fmt(value)}</text>"
                )
        parts.append(_label(LEFT + g * group_w + group_w / 2, label))
    parts.append(_legend(names))
    return _frame(title, "".join(parts))


def lines(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]]) -> str:
    """Lines over the labels (months, years), each point with its value; None leaves a gap."""
    names = list(series)
    top = _top([v for values in series.values() for v in values if v is not None])
    axes, plot_w, plot_h = _axes(top)
    step = plot_w / max(1, len(labels))
    parts = [axes]
    for i, label in enumerate(labels):
        parts.append(_label(LEFT + i * step + step / 2, label))
    for s, name in enumerate(names):
        colour = COLOURS[s % len(COLOURS)]
        points = []
        for i, value in enumerate(series[name]):
            if value is None:
                continue
            x = LEFT + i * step + step / 2
            y = TOP + plot_h - plot_h * value / top
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 5:.1f}" text-anchor="middle" font-size="9">{_fmt(value)}</text>'
            )
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
    parts.append(_legend(names))
    return _frame(title, "".join(parts))
