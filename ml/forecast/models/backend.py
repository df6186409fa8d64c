"""Keras backend selection and JAX's persistent compilation cache.

JAX compiles every eager operation and every jitted function the first time it sees a shape.
Loading a ``.keras`` file builds the layers, and building runs the layers' initializers (the
LSTM's orthogonal initializer is a QR decomposition): about 1.7 s of XLA compilation for
weights that the file then overwrites. We avoid that work (see ``ml.forecast.models.serialization``)
and keep what remains (per-shape conversions, the jitted predict) in an on-disk cache so a
fresh process pays it once per machine rather than once per process.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "jax"
CACHE_ENV = "FORESIGHT_JAX_CACHE_DIR"


def keras_module() -> ModuleType:
    """Import Keras with the JAX backend unless the environment chose another one."""
    os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)
    return _import_keras()


@functools.cache
def _import_keras() -> ModuleType:
    if os.environ["KERAS_BACKEND"] == "jax":
        _configure_jax_cache()
    import keras

    logger.debug("keras %s on %s", keras.__version__, keras.backend.backend())
    return keras


def _configure_jax_cache() -> None:
    """Use an on-disk compilation cache: ``var/jax-cache`` or $FORESIGHT_JAX_CACHE_DIR."""
    import jax

    directory = os.environ.get(CACHE_ENV)
    if directory is None:
        from ml.settings import CoreSettings, load_settings

        directory = str(load_settings(CoreSettings).var_dir / "jax-cache")
    if directory == "":
        return  # explicitly disabled
    Path(directory).mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def backend_name() -> str:
    """The Keras backend in use (imports Keras)."""
    return str(keras_module().backend.backend())
