"""Plotly templates for the light and dark themes, and the colours every figure shares.

Figures are built theme-free on the server (so a cached figure serves both themes); the
browser adds the template of the current theme (``assets/figures.js``), so switching theme
never asks the server for anything. Colours are picked to read on white and on near-black.
"""

from __future__ import annotations

from typing import Any

UP = "#16a34a"  # green-600: readable on both backgrounds
DOWN = "#dc2626"  # red-600
UP_FILL = "rgba(22, 163, 74, 0.45)"
DOWN_FILL = "rgba(220, 38, 38, 0.45)"
VOLUME_FILL = "rgba(100, 116, 139, 0.35)"  # slate: neutral in both themes
VOLUME_LINE = "rgba(100, 116, 139, 0.8)"
ACCENT = "#3b82f6"  # forecast line, single-series charts
BAND_80 = "rgba(59, 130, 246, 0.28)"
BAND_95 = "rgba(59, 130, 246, 0.14)"
WARN = "#f59e0b"
DANGER = "#ef4444"
# Series colours that keep >= 3:1 contrast on #ffffff and on #212529 (Bootstrap's dark body).
SERIES = ("#f59e0b", "#3b82f6", "#a855f7", "#ec4899", "#14b8a6", "#84cc16", "#f97316",
          "#06b6d4", "#8b5cf6", "#e11d48")

_PALETTES: dict[str, dict[str, str]] = {
    "light": {"text": "#212529", "muted": "#6c757d", "grid": "rgba(0,0,0,0.08)",
              "line": "rgba(0,0,0,0.25)", "hover_bg": "#ffffff", "bg": "rgba(0,0,0,0)"},
    "dark": {"text": "#dee2e6", "muted": "#adb5bd", "grid": "rgba(255,255,255,0.10)",
             "line": "rgba(255,255,255,0.30)", "hover_bg": "#2b3035", "bg": "rgba(0,0,0,0)"},
}
THEMES = tuple(_PALETTES)
# Price-like axes on the right, with room for their tick labels.
RIGHT_AXIS = {"side": "right", "automargin": True}


def series_colour(position: int) -> str:
    return SERIES[position % len(SERIES)]


def template(theme: str) -> dict[str, Any]:
    """A small plotly template (layout only) for ``theme`` ("light" or "dark")."""
    if theme not in _PALETTES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    p = _PALETTES[theme]
    axis = {"gridcolor": p["grid"], "linecolor": p["line"], "zerolinecolor": p["grid"],
            "tickcolor": p["line"], "title": {"font": {"color": p["muted"]}},
            "color": p["text"]}
    return {"layout": {
        "paper_bgcolor": p["bg"], "plot_bgcolor": p["bg"],
        "font": {"color": p["text"], "family": "system-ui, -apple-system, 'Segoe UI', "
                 "Roboto, sans-serif", "size": 12},
        "colorway": list(SERIES),
        "xaxis": axis, "yaxis": axis,
        "legend": {"bgcolor": "rgba(0,0,0,0)", "font": {"color": p["text"]}},
        "hoverlabel": {"bgcolor": p["hover_bg"], "font": {"color": p["text"]},
                       "bordercolor": p["line"]},
        "coloraxis": {"colorbar": {"tickfont": {"color": p["text"]}}},
        "annotationdefaults": {"font": {"color": p["text"]}},
    }}


def templates() -> dict[str, dict[str, Any]]:
    """Both templates, keyed by theme: what the browser picks from."""
    return {theme: template(theme) for theme in THEMES}
