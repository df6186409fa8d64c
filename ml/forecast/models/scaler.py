"""A standard scaler whose whole state is a small JSON-able dict (nothing pickled)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CLIP = 8.0  # scaled values beyond +-8 standard deviations are clipped (crash days, bad ticks)


@dataclass(frozen=True)
class StandardScaler:
    """Per-column mean and standard deviation, fit on the training rows only."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    clip: float | None = CLIP

    @classmethod
    def fit(cls, values: np.ndarray, clip: float | None = CLIP) -> StandardScaler:
        """Fit on a (rows, columns) array; NaN rows are ignored, constant columns get scale 1."""
        matrix = np.asarray(values, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] < 2:
            raise ValueError(f"scaler needs a 2-D array with at least 2 rows, got {matrix.shape}")
        finite = matrix[np.isfinite(matrix).all(axis=1)]
        if finite.shape[0] < 2:
            raise ValueError("scaler needs at least 2 rows without NaN")
        mean = finite.mean(axis=0)
        std = finite.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        return cls(tuple(float(x) for x in mean), tuple(float(x) for x in std), clip)

    def transform(self, values: np.ndarray) -> np.ndarray:
        scaled = (np.asarray(values, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(
            self.scale)
        if self.clip is not None:
            scaled = np.clip(scaled, -self.clip, self.clip)
        return scaled

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * np.asarray(self.scale) + np.asarray(
            self.mean)

    def to_state(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "scale": list(self.scale), "clip": self.clip}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StandardScaler:
        mean = tuple(float(x) for x in state["mean"])
        scale = tuple(float(x) for x in state["scale"])
        if len(mean) != len(scale) or not all(s > 0 for s in scale):
            raise ValueError("scaler state is inconsistent: mean/scale lengths or scale <= 0")
        clip = state.get("clip")
        return cls(mean, scale, None if clip is None else float(clip))
