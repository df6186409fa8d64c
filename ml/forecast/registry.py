"""The model registry: versions in the database, one active per symbol, interval and target.

A version is written in one transaction with its config, features, data range and hash, code
version, metrics (baselines and coverage included), the ``.keras`` bytes and the JSON state of
its scalers and conformal bands. Loading verifies the bytes' SHA-256 and uses Keras' safe mode;
nothing is unpickled. ``promote`` makes a version active; ``rollback`` returns to the version
that was active before the current one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from ml.db import write_transaction
from ml.db.schema import active_models, model_activations, model_versions
from ml.json_values import json_safe

logger = logging.getLogger(__name__)

DEFAULT_TARGET = "returns"


class RegistryError(ValueError):
    """A registry request that cannot be met (no such version, no active model...)."""


@dataclass(frozen=True)
class VersionInfo:
    """A version's metadata (everything but the model bytes)."""

    id: int
    symbol: str
    interval: str
    target: str
    version: int
    kind: str
    config: dict[str, Any]
    features: list[str]
    data_first: datetime
    data_last: datetime
    data_rows: int
    data_hash: str
    code_version: str
    metrics: dict[str, Any]
    created_at: datetime
    active: bool

    def to_dict(self, with_metrics: bool = False) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "id", "symbol", "interval", "target", "version", "kind", "config", "features",
            "data_first", "data_last", "data_rows", "data_hash", "code_version", "created_at",
            "active")}
        out["summary"] = self.metrics.get("summary")
        if with_metrics:
            out["metrics"] = self.metrics
        return out


def data_hash(bars: pd.DataFrame) -> str:
    """SHA-256 of the bars' timestamps and OHLCV values (what the model was trained on)."""
    digest = hashlib.sha256()
    digest.update(bars.index.asi8.astype("<i8").tobytes())
    for column in ("open", "high", "low", "close", "volume"):
        digest.update(np.ascontiguousarray(bars[column].to_numpy(dtype="<f8")).tobytes())
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """The package version plus the git commit (``-dirty`` with uncommitted changes)."""
    from ml import __version__

    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                                capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "ml"],
                               cwd=root, capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return __version__
    suffix = "-dirty" if dirty.stdout.strip() else ""
    return f"{__version__}+g{commit.stdout.strip()}{suffix}"


def register(engine: Engine, forecaster: Any, *, symbol: str, interval: str,
             bars: pd.DataFrame, metrics: dict[str, Any], promote: bool = True) -> VersionInfo:
    """Store a trained forecaster as the next version; activate it when ``promote``."""
    keras_bytes = forecaster.network_bytes()
    state = forecaster.state()
    config = forecaster.config
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        latest = connection.execute(
            select(func.max(model_versions.c.version)).where(
                model_versions.c.symbol == symbol, model_versions.c.interval == interval,
                model_versions.c.target == config.target)).scalar()
        row = {
            "symbol": symbol, "interval": interval, "target": config.target,
            "version": int(latest or 0) + 1, "kind": config.kind,
            "config_json": json.dumps(config.to_dict(), sort_keys=True),
            "features_json": json.dumps(list(config.features)),
            "data_first": bars.index[0].to_pydatetime(),
            "data_last": bars.index[-1].to_pydatetime(), "data_rows": len(bars),
            "data_hash": data_hash(bars), "code_version": code_version(),
            "metrics_json": json.dumps(json_safe(metrics), allow_nan=False),
            "created_at": now, "keras_bytes": keras_bytes,
            "keras_sha256": hashlib.sha256(keras_bytes).hexdigest(),
            "state_json": json.dumps(json_safe(state), allow_nan=False),
        }
        version_id = int(connection.execute(
            insert(model_versions).returning(model_versions.c.id), row).scalar_one())
        has_active = _active_row(connection, symbol, interval, config.target) is not None
        if promote or not has_active:
            _activate(connection, version_id, "promote", now)
    logger.info("registered %s %s %s v%d (id %d)", symbol, interval, config.target,
                row["version"], version_id)
    return get_version(engine, version_id)


def promote(engine: Engine, version_id: int) -> VersionInfo:
    """Make ``version_id`` the active version of its symbol, interval and target."""
    with write_transaction(engine) as connection:
        _activate(connection, version_id, "promote", datetime.now(UTC))
    return get_version(engine, version_id)


def rollback(engine: Engine, symbol: str, interval: str, target: str = DEFAULT_TARGET
             ) -> VersionInfo:
    """Reactivate the version that was active before the current one."""
    with write_transaction(engine) as connection:
        current = _active_row(connection, symbol, interval, target)
        if current is None:
            raise RegistryError(f"no active model for {symbol} {interval} ({target})")
        activation = connection.execute(select(model_activations).where(
            model_activations.c.id == current.activation_id)).one()
        if activation.previous_id is None:
            raise RegistryError(f"nothing to roll back to: version id {current.version_id} "
                                f"is the first active model for {symbol} {interval}")
        previous = connection.execute(select(model_activations).where(
            model_activations.c.id == activation.previous_id)).one()
        new_id = _insert_activation(connection, symbol, interval, target, previous.version_id,
                                    previous.previous_id, "rollback", datetime.now(UTC))
        connection.execute(update(active_models).where(
            active_models.c.symbol == symbol, active_models.c.interval == interval,
            active_models.c.target == target).values(version_id=previous.version_id,
                                                      activation_id=new_id))
        version_id = int(previous.version_id)
    return get_version(engine, version_id)


def list_versions(engine: Engine, symbol: str | None = None, interval: str | None = None
                  ) -> list[VersionInfo]:
    """Every version (newest first), optionally for one symbol and interval."""
    query = select(*_info_columns()).order_by(model_versions.c.id.desc())
    if symbol is not None:
        query = query.where(model_versions.c.symbol == symbol)
    if interval is not None:
        query = query.where(model_versions.c.interval == interval)
    with engine.connect() as connection:
        active = {row.version_id for row in connection.execute(select(active_models))}
        return [_info(row, row.id in active) for row in connection.execute(query)]


def get_version(engine: Engine, version_id: int) -> VersionInfo:
    with engine.connect() as connection:
        row = connection.execute(select(*_info_columns()).where(
            model_versions.c.id == version_id)).one_or_none()
        if row is None:
            raise RegistryError(f"no model version with id {version_id}")
        active = connection.execute(select(active_models.c.version_id).where(
            active_models.c.version_id == version_id)).first() is not None
    return _info(row, active)


def active_version(engine: Engine, symbol: str, interval: str,
                   target: str = DEFAULT_TARGET) -> VersionInfo:
    with engine.connect() as connection:
        current = _active_row(connection, symbol, interval, target)
    if current is None:
        raise RegistryError(f"no active model for {symbol} at {interval} ({target}); "
                            f"train one with: python -m ml train {symbol} --interval {interval}")
    return get_version(engine, int(current.version_id))


def load_forecaster(engine: Engine, version_id: int) -> Any:
    """Rebuild a stored forecaster (Keras safe mode; the bytes' hash is checked first)."""
    from ml.forecast.forecaster import Forecaster

    with engine.connect() as connection:
        row = connection.execute(select(
            model_versions.c.keras_bytes, model_versions.c.keras_sha256,
            model_versions.c.state_json).where(model_versions.c.id == version_id)).one_or_none()
    if row is None:
        raise RegistryError(f"no model version with id {version_id}")
    data = bytes(row.keras_bytes)
    if hashlib.sha256(data).hexdigest() != row.keras_sha256:
        raise RegistryError(f"model version {version_id}: stored bytes fail their checksum")
    return Forecaster.from_parts(json.loads(row.state_json), data)


def load_active(engine: Engine, symbol: str, interval: str, target: str = DEFAULT_TARGET
                ) -> tuple[VersionInfo, Any]:
    info = active_version(engine, symbol, interval, target)
    return info, load_forecaster(engine, info.id)


# --- internals -----------------------------------------------------------------------------

def _activate(connection: Connection, version_id: int, action: str, now: datetime) -> None:
    row = connection.execute(select(model_versions.c.symbol, model_versions.c.interval,
                                    model_versions.c.target).where(
        model_versions.c.id == version_id)).one_or_none()
    if row is None:
        raise RegistryError(f"no model version with id {version_id}")
    current = _active_row(connection, row.symbol, row.interval, row.target)
    if current is not None and current.version_id == version_id:
        return
    new_id = _insert_activation(connection, row.symbol, row.interval, row.target, version_id,
                                None if current is None else current.activation_id, action, now)
    if current is None:
        connection.execute(insert(active_models).values(
            symbol=row.symbol, interval=row.interval, target=row.target,
            version_id=version_id, activation_id=new_id))
    else:
        connection.execute(update(active_models).where(
            active_models.c.symbol == row.symbol, active_models.c.interval == row.interval,
            active_models.c.target == row.target).values(version_id=version_id,
                                                          activation_id=new_id))


def _insert_activation(connection: Connection, symbol: str, interval: str, target: str,
                       version_id: int, previous_id: int | None, action: str,
                       now: datetime) -> int:
    return int(connection.execute(insert(model_activations).returning(
        model_activations.c.id), {"symbol": symbol, "interval": interval, "target": target,
                                  "version_id": version_id, "previous_id": previous_id,
                                  "action": action, "at": now}).scalar_one())


def _active_row(connection: Connection, symbol: str, interval: str, target: str) -> Any:
    return connection.execute(select(active_models).where(
        active_models.c.symbol == symbol, active_models.c.interval == interval,
        active_models.c.target == target)).one_or_none()


def _info_columns() -> list[Any]:
    return [c for c in model_versions.c if c.name not in ("keras_bytes", "state_json")]


def _info(row: Any, active: bool) -> VersionInfo:
    return VersionInfo(
        id=int(row.id), symbol=row.symbol, interval=row.interval, target=row.target,
        version=int(row.version), kind=row.kind, config=json.loads(row.config_json),
        features=json.loads(row.features_json), data_first=_utc(row.data_first),
        data_last=_utc(row.data_last), data_rows=int(row.data_rows), data_hash=row.data_hash,
        code_version=row.code_version, metrics=json.loads(row.metrics_json),
        created_at=_utc(row.created_at), active=active)


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
