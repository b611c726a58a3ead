"""The per-team timing chart as inline SVG (no JavaScript, no external assets).

Horizontal grouped bars, one group per team: mean time to acknowledge and time to first share,
in scenario minutes (hub time times the rehearsal speed), so a rehearsal and the real drill
draw comparable charts. Text is escaped; the SVG is safe to inline in HTML and Markdown.
"""

from __future__ import annotations

from html import escape
from typing import Any

BAR_HEIGHT = 14
GROUP_GAP = 16
LABEL_WIDTH = 150
PLOT_WIDTH = 380
SERIES = (
    ("time_to_acknowledge", "Mean time to acknowledge", "#2f6fb3"),
    ("time_to_first_share", "Time to first share", "#c46a1b"),
)


def _minutes(metric: dict[str, Any], key: str) -> float | None:
    if key == "time_to_acknowledge":
        value = metric["time_to_acknowledge"]["mean_scenario_seconds"]
    else:
        value = metric["time_to_first_share_scenario_seconds"]
    return None if value is None else value / 60.0


def timing_chart(metrics: list[dict[str, Any]]) -> str:
    """An SVG bar chart of per-team timings (``metrics`` as built by the report)."""
    values = [m for metric in metrics for key, _, _ in SERIES
              if (m := _minutes(metric, key)) is not None]
    top = max(values, default=0.0) or 1.0
    group = len(SERIES) * BAR_HEIGHT + GROUP_GAP
    height = 40 + group * len(metrics) + 30
    width = LABEL_WIDTH + PLOT_WIDTH + 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" class="timing-chart" '
             'font-family="system-ui, sans-serif" font-size="12">',
             "<title>Per-team timings (scenario minutes)</title>"]
    for n, (_, label, colour) in enumerate(SERIES):
        x = LABEL_WIDTH + n * 190
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="18">{escape(label)}</text>')
    for row, metric in enumerate(metrics):
        y = 40 + row * group
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT + 2}" '
                     f'text-anchor="end">{escape(metric["team"])}</text>')
        for n, (key, label, colour) in enumerate(SERIES):
            minutes = _minutes(metric, key)
            bar_y = y + n * BAR_HEIGHT
            if minutes is None:
                parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{bar_y + 11}" fill="#666">'
                             f'{escape(label.lower())}: none</text>')
                continue
            length = max(1.0, PLOT_WIDTH * minutes / top)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT - 2}" fill="{colour}">'
                         f'<title>{escape(metric["team"])}: {escape(label.lower())} '
                         f'{minutes:.1f} min</title></rect>'
                         f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{bar_y + 11}">'
                         f'{minutes:.1f} min</text>')
    parts.append(f'<text x="{LABEL_WIDTH}" y="{height - 8}" fill="#444">Scenario minutes '
                 f'(0 to {top:.1f})</text></svg>')
    return "".join(parts)
