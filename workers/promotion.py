"""Should a newly trained version replace the active one? Decided out of sample.

Head to head when possible: both models forecast the new version's test bars that come after
the active version's training data (so neither has seen them), and the lower mean absolute
error over their common horizons wins. When there are too few such bars (a retrain on the same
data), each version's own out-of-sample Theil's U against the random walk is compared instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MIN_HEAD_TO_HEAD = 20


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    detail: dict[str, Any]


def decide(result: Any, bars: pd.DataFrame, metrics: dict[str, Any], active: Any,
           active_forecaster: Any) -> Decision:
    """``result``: the new TrainingResult; ``active``: the registry's VersionInfo or None."""
    if active is None:
        return Decision(True, "no active model yet", {})
    head = _head_to_head(result, bars, active, active_forecaster)
    if head is not None:
        new_mae, old_mae, samples = head
        detail = {"method": "head_to_head_mae", "samples": samples, "new_mae": new_mae,
                  "active_mae": old_mae, "active_version_id": active.id}
        if new_mae < old_mae:
            return Decision(True, f"beats active v{active.version} out of sample: MAE "
                            f"{new_mae:.6f} < {old_mae:.6f} on {samples} unseen bars", detail)
        return Decision(False, f"does not beat active v{active.version} out of sample: MAE "
                        f"{new_mae:.6f} >= {old_mae:.6f} on {samples} unseen bars", detail)
    new_u = _theil_u(metrics)
    old_u = _theil_u(active.metrics)
    detail = {"method": "theil_u", "new_theil_u": new_u, "active_theil_u": old_u,
              "active_version_id": active.id}
    if new_u is None or old_u is None:
        return Decision(False, "kept as candidate: no comparable out-of-sample metric", detail)
    if new_u < old_u:
        return Decision(True, f"beats active v{active.version}: mean Theil's U {new_u:.4f} < "
                        f"{old_u:.4f} (each on its own test period)", detail)
    return Decision(False, f"does not beat active v{active.version}: mean Theil's U "
                    f"{new_u:.4f} >= {old_u:.4f} (each on its own test period)", detail)


def _theil_u(metrics: dict[str, Any]) -> float | None:
    value = (metrics.get("summary") or {}).get("mean_theil_u")
    return None if value is None or not np.isfinite(value) else float(value)


def _head_to_head(result: Any, bars: pd.DataFrame, active: Any,
                  active_forecaster: Any) -> tuple[float, float, int] | None:
    if active_forecaster is None or active.target != result.forecaster.config.target:
        return None
    from ml.forecast import predict_split

    data = result.dataset
    ends = data.ends("test")
    unseen = np.asarray(data.bars_index[ends] > pd.Timestamp(active.data_last))
    prepared = active_forecaster.prepare(bars)
    usable = unseen & np.isin(ends, prepared.ends)
    if usable.sum() < MIN_HEAD_TO_HEAD:
        return None
    horizon = min(result.forecaster.config.horizon, active_forecaster.config.horizon)
    y = data.targets[ends[usable]][:, :horizon]
    new = predict_split(result, "test").yhat[usable][:, :horizon]
    old = active_forecaster.predict_at(prepared, ends[usable])[:, :horizon]
    return (float(np.mean(np.abs(y - new))), float(np.mean(np.abs(y - old))),
            int(usable.sum()))
