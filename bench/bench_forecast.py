"""Forecasting speed on this machine (keys ``forecast.*``).

- training the default LSTM on sample:SPX daily (5,031 bars) to early stopping (target <= 60 s)
- one live forecast from a registry-loaded model, features included (target <= 3 ms)
- batch inference in windows per second (target >= 20,000)
- loading a model from the registry (target <= 200 ms), in a warm process and in a fresh one
  with and without JAX's persistent compilation cache
- Keras backends compared on the same workload, each in its own process (JAX always; torch
  when an interpreter that has it is given in $FORESIGHT_BENCH_TORCH_PYTHON or .venv has it)

The machine is shared and noisy: the 1-minute load average at the start is recorded with the
figures so that a slow run can be recognised as one.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TORCH_ENV = "FORESIGHT_BENCH_TORCH_PYTHON"


def run() -> dict[str, object]:
    figures: dict[str, object] = {"forecast.load_average_1m_at_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as directory:
        var = Path(directory)
        cache = var / "jax-cache"
        os.environ["FORESIGHT_JAX_CACHE_DIR"] = str(cache)
        figures.update(_in_process(var))
        figures.update(_cold_loads(var, cache))
    figures.update(_backends())
    return figures


def _in_process(var: Path) -> dict[str, object]:
    import numpy as np

    from ml.data import load_bars
    from ml.db import make_engine, upgrade_to_head
    from ml.forecast.datasets import make_windows
    from ml.forecast.evaluation import evaluate
    from ml.forecast.models import ModelConfig
    from ml.forecast.registry import load_forecaster, register
    from ml.forecast.training import fit_forecaster
    from ml.json_values import json_safe

    engine = make_engine(f"sqlite:///{var / 'bench.db'}")
    upgrade_to_head(engine)
    bars = load_bars("sample:SPX", "1d", engine=engine).bars
    config = ModelConfig()
    started = time.perf_counter()
    result = fit_forecaster(bars, config)
    train_s = time.perf_counter() - started
    info = register(engine, result.forecaster, symbol="sample:SPX", interval="1d", bars=bars,
                    metrics=json_safe(evaluate(result)))
    out: dict[str, object] = {
        "forecast.train_default_lstm_spx_s": round(train_s, 2),
        "forecast.train_default_lstm_spx_epochs": result.history.epochs_run,
        "forecast.train_target_s": 60}
    load_times = []
    for _ in range(7):
        t = time.perf_counter()
        forecaster = load_forecaster(engine, info.id)
        load_times.append((time.perf_counter() - t) * 1000)
    out["forecast.registry_load_warm_process_ms_median"] = round(statistics.median(load_times), 1)
    out["forecast.registry_load_target_ms"] = 200
    forecaster.forecast(bars)  # compiles the single-window path
    times = []
    for _ in range(300):
        t = time.perf_counter()
        forecaster.forecast(bars)
        times.append((time.perf_counter() - t) * 1000)
    out["forecast.single_forecast_with_features_ms_median"] = round(statistics.median(times), 3)
    out["forecast.single_forecast_with_features_ms_p95"] = round(
        float(np.percentile(times, 95)), 3)
    out["forecast.single_forecast_target_ms"] = 3
    prepared = forecaster.prepare(bars)
    windows = make_windows(prepared.scaled, prepared.ends, config.window_length)
    windows = np.concatenate([windows] * 5)[:20480]
    forecaster.model.predict(windows[:2048])  # compile the 1024 bucket
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        forecaster.model.predict(windows)
        rates.append(len(windows) / (time.perf_counter() - t))
    out["forecast.batch_inference_windows_per_s"] = round(max(rates))
    t = time.perf_counter()
    forecaster.predict_at(prepared, prepared.ends)
    out["forecast.batch_end_to_end_windows_per_s"] = round(
        len(prepared.ends) / (time.perf_counter() - t))
    out["forecast.batch_inference_target_windows_per_s"] = 20000
    engine.dispose()
    return out


_COLD = """
import json, os, sys, time
from ml.forecast.models.backend import keras_module
keras_module()
from sqlalchemy import select
from ml.db import make_engine
from ml.forecast.registry import load_forecaster
from ml.data import load_bars
engine = make_engine(sys.argv[1])
bars = load_bars("sample:SPX", "1d", engine=engine, refresh=False).bars
t = time.perf_counter(); f = load_forecaster(engine, 1); load = time.perf_counter() - t
t = time.perf_counter(); f.forecast(bars); first = time.perf_counter() - t
print(json.dumps({"load_ms": load * 1000, "first_forecast_ms": first * 1000}))
"""


def _cold_loads(var: Path, cache: Path) -> dict[str, object]:
    """A fresh process (Keras already imported) loading version 1 and forecasting once."""
    url = f"sqlite:///{var / 'bench.db'}"
    out: dict[str, object] = {}
    for label, cache_dir in (("no_jax_cache", ""), ("jax_cache", str(cache))):
        runs = [_python([sys.executable, "-c", _COLD, url],
                        {"FORESIGHT_JAX_CACHE_DIR": cache_dir}) for _ in range(3)]
        out[f"forecast.registry_load_fresh_process_{label}_ms_median"] = round(
            statistics.median(r["load_ms"] for r in runs), 1)
        out[f"forecast.first_forecast_fresh_process_{label}_ms_median"] = round(
            statistics.median(r["first_forecast_ms"] for r in runs), 1)
    return out


def _backends() -> dict[str, object]:
    out: dict[str, object] = {}
    interpreters = {"jax": sys.executable}
    torch_python = os.environ.get(TORCH_ENV) or (
        sys.executable if _has_module(sys.executable, "torch") else None)
    if torch_python:
        interpreters["torch"] = torch_python
    for backend, python in interpreters.items():
        result = _python([python, "-m", "bench._forecast_probe"],
                         {"KERAS_BACKEND": backend, "FORESIGHT_JAX_CACHE_DIR": ""})
        for key, value in result.items():
            if key != "backend":
                out[f"forecast.backend.{backend}.{key}"] = value
    if "torch" not in interpreters:
        print("forecast: torch not available, backend comparison keeps earlier torch figures",
              file=sys.stderr)
    return out


def _has_module(python: str, name: str) -> bool:
    probe = subprocess.run([python, "-c", f"import {name}"], capture_output=True, timeout=120)
    return probe.returncode == 0


def _python(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run(command, capture_output=True, text=True, env=full_env, cwd=ROOT,
                          timeout=1200, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[1:3]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
