"""Model card parts: the verdict badge, metrics beside baselines, the track record."""

from __future__ import annotations

import pandas as pd
import plotly.io.json as pio_json

from tests.conftest import make_ohlcv
from webapp.components.forecast_view import (
    metrics_table,
    residual_figure,
    skill_badge,
    track_figure,
    track_record,
)

METRICS = {"mae": 1.0, "rmse": 1.5, "mape": 0.8, "r2": -0.01, "theil_u": 1.02,
           "dm_p_better": 0.7, "directional": {"accuracy": 0.52, "ci_low": 0.47,
                                               "ci_high": 0.57, "n": 300}}


def test_no_skill_badge_is_loud_and_skill_is_green() -> None:
    no_skill = pio_json.to_json_plotly(skill_badge({"verdict": "no skill"}))
    assert "NO SKILL" in no_skill and "danger" in no_skill
    assert "success" in pio_json.to_json_plotly(skill_badge({"verdict": "skill"}))


def test_metrics_table_puts_baselines_beside_the_model() -> None:
    horizons = {"1": {"model": METRICS, "baselines": {"random_walk": {**METRICS,
                                                                       "theil_u": 1.0}}}}
    text = pio_json.to_json_plotly(metrics_table(horizons))
    assert text.index("model") < text.index("random_walk")
    assert "1.020" in text and "52.0% (47.0%" in text and "57.0%)" in text


def test_track_record_scores_each_forecast_against_the_next_bar() -> None:
    bars = make_ohlcv(30, seed=4)
    history = [{"origin": bars.index[i].isoformat(), "prices": [100.0 + i, 101.0],
                "bands": {"0.8": {"lower": [99.0], "upper": [102.0]},
                          "0.95": {"lower": [98.0], "upper": [103.0]}}}
               for i in (27, 28, 29)]
    track = track_record(history, bars)
    # The forecast from the last bar has no outcome yet.
    assert list(track["target"]) == [bars.index[28], bars.index[29]]
    assert track["actual"].tolist() == bars["close"].iloc[[28, 29]].tolist()
    assert track_figure(track)["data"][-1]["name"] == "Actual"
    assert residual_figure(track)["data"][1]["type"] == "histogram"
    assert track_record([], bars).empty and isinstance(track, pd.DataFrame)
