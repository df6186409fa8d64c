"""One Keras backend measured in its own process (``python -m bench._forecast_probe``).

Workload (the same for every backend): the default 2-layer LSTM (64 then 32 units, windows of
60 x 8 features, horizon 5), 3,000 random samples, batch 64. Prints one JSON object.
Run with KERAS_BACKEND set; bench_forecast.py starts one process per backend.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    started = time.perf_counter()
    import keras
    import numpy as np

    import_s = time.perf_counter() - started
    from ml.forecast.models.config import ModelConfig
    from ml.forecast.models.networks import build_network

    config = ModelConfig()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 60, 8)).astype(np.float32)
    y = rng.normal(size=(3000, 5)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = build_network(config, 8)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    epoch_times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            epoch_times.append(time.perf_counter() - self.t)

    model.fit(x, y, epochs=4, batch_size=64, verbose=0, callbacks=[Timer()])
    one = x[:1]
    model.predict(one, verbose=0)
    predict_ms = _median_ms(lambda: model.predict(one, verbose=0), 30)
    batch = x[:2048]
    model.predict(batch, batch_size=1024, verbose=0)
    t = time.perf_counter()
    model.predict(np.concatenate([batch] * 4), batch_size=1024, verbose=0)
    batch_rate = 8192 / (time.perf_counter() - t)
    out = {"backend": keras.backend.backend(), "import_s": round(import_s, 3),
           "first_epoch_s": round(epoch_times[0], 3),
           "epoch_s": round(statistics.median(epoch_times[1:]), 3),
           "predict_1_window_ms": round(predict_ms, 3),
           "predict_batch_windows_per_s": round(batch_rate)}
    if keras.backend.backend() == "jax":
        from ml.forecast.models.predictor import Predictor

        predictor = Predictor(model)
        predictor(one)
        out["jitted_1_window_ms"] = round(_median_ms(lambda: predictor(one), 200), 3)
        predictor(batch[:1024])
        t = time.perf_counter()
        predictor(np.concatenate([batch] * 4))
        out["jitted_batch_windows_per_s"] = round(8192 / (time.perf_counter() - t))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.keras"
        model.save(path)
        t = time.perf_counter()
        keras.saving.load_model(path, compile=False)
        out["load_model_s"] = round(time.perf_counter() - t, 3)
    out["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(out))
    return 0


def _peak_rss_mb() -> int:
    """VmHWM of this process (getrusage's maxrss carries the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _median_ms(call: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    os.environ.setdefault("FORESIGHT_JAX_CACHE_DIR", "")
    sys.exit(main())
