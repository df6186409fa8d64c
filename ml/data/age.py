"""How old cached data is, in words a trader reads at a glance ("3 min", "5.0 h")."""

from __future__ import annotations


def human_age(seconds: float) -> str:
    """Seconds under 90 s, minutes under 90 min, hours under two days, then days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"
