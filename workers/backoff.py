"""The one retry schedule: exponential from a first delay, capped (job retries and alert
deliveries both use it, each with its own settings)."""

from __future__ import annotations


def exponential_backoff_s(retries_done: int, *, first_s: float, max_s: float) -> float:
    """Delay before the next try after ``retries_done`` retries: first, 2x first, 4x ... max."""
    return float(min(max_s, first_s * 2 ** max(0, retries_done)))
