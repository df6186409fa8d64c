"""Celery beat's schedule: defaults < ``FORESIGHT_JOBS_SCHEDULE`` (JSON) < the database.

Each entry runs a fixed task either every N seconds (``every_s``) or on a cron line
(``cron``: "minute hour day-of-month month day-of-week", UTC), and can be disabled. The admin
page stores its edits in ``app_settings`` under ``jobs.schedule`` through
:func:`save_schedule`; :class:`DatabaseScheduler` (beat's scheduler) re-reads that row every
``RELOAD_EVERY_S`` seconds, so edits apply without restarting beat.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from celery.beat import PersistentScheduler
from celery.schedules import crontab
from sqlalchemy import Engine

from ml.app_settings import read_setting, write_setting

logger = logging.getLogger(__name__)

SCHEDULE_KEY = "jobs.schedule"
ENV_VAR = "FORESIGHT_JOBS_SCHEDULE"
RELOAD_EVERY_S = 30.0
MIN_EVERY_S = 5.0

DEFAULT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Beat's own health: its last run time is what the admin page shows.
    "heartbeat": {"task": "workers.tasks.heartbeat", "every_s": 60.0, "enabled": True},
    # Refresh watched symbols whose next bar is due; new bars trigger forecasts and drift.
    "refresh_watched": {"task": "workers.tasks.refresh_watched", "every_s": 300.0,
                        "enabled": True},
    # The alert engine (workers.alert_tasks) evaluates rules through this hook.
    "check_alerts": {"task": "workers.tasks.check_alerts", "every_s": 60.0, "enabled": True},
    # Nightly: retrain models that are too old or flagged by drift.
    "retrain_stale": {"task": "workers.tasks.retrain_stale", "cron": "0 3 * * *",
                      "enabled": True},
    # Nightly: forget finished jobs older than the retention (beat adds rows every minute).
    "prune_jobs": {"task": "workers.tasks.prune_jobs", "cron": "30 4 * * *", "enabled": True},
}
EDITABLE_KEYS = ("every_s", "cron", "enabled")


def validate_overrides(overrides: Any) -> dict[str, dict[str, Any]]:
    """Check an override mapping (name -> {every_s | cron, enabled}); raise ValueError."""
    if not isinstance(overrides, dict):
        raise ValueError(f"schedule overrides must be an object, got {overrides!r}")
    clean: dict[str, dict[str, Any]] = {}
    for name, entry in overrides.items():
        if name not in DEFAULT_SCHEDULE:
            raise ValueError(f"unknown schedule entry {name!r}; known: "
                             f"{', '.join(DEFAULT_SCHEDULE)}")
        if not isinstance(entry, dict) or set(entry) - set(EDITABLE_KEYS):
            raise ValueError(f"schedule entry {name!r} may set only {', '.join(EDITABLE_KEYS)},"
                             f" got {entry!r}")
        if "every_s" in entry and "cron" in entry:
            raise ValueError(f"schedule entry {name!r}: give every_s or cron, not both")
        if "every_s" in entry:
            every = entry["every_s"]
            if isinstance(every, bool) or not isinstance(every, int | float) \
                    or every < MIN_EVERY_S:
                raise ValueError(f"schedule entry {name!r}: every_s must be a number >= "
                                 f"{MIN_EVERY_S:g}, got {every!r}")
        if "cron" in entry:
            parse_cron(entry["cron"])
        if "enabled" in entry and not isinstance(entry["enabled"], bool):
            raise ValueError(f"schedule entry {name!r}: enabled must be true or false")
        clean[name] = dict(entry)
    return clean


def parse_cron(line: Any) -> crontab:
    """"m h dom mon dow" -> crontab; ValueError naming the bad line."""
    fields = line.split() if isinstance(line, str) else []
    if len(fields) != 5:
        raise ValueError(f"cron must have 5 fields (minute hour day month weekday), "
                         f"got {line!r}")
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                       month_of_year=month, day_of_week=day_of_week)
    except (ValueError, TypeError) as error:
        raise ValueError(f"cron {line!r} is not valid: {error}") from None


def merge(*layers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Defaults with each layer of overrides applied in turn (every_s replaces cron)."""
    spec = {name: dict(entry) for name, entry in DEFAULT_SCHEDULE.items()}
    for layer in layers:
        for name, entry in layer.items():
            target = spec[name]
            if "every_s" in entry:
                target.pop("cron", None)
            if "cron" in entry:
                target.pop("every_s", None)
            target.update(entry)
    return spec


def env_overrides() -> dict[str, dict[str, Any]]:
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return {}
    try:
        return validate_overrides(json.loads(raw))
    except ValueError as error:
        raise ValueError(f"{ENV_VAR}: {error}") from None


def stored_overrides(engine: Engine) -> dict[str, dict[str, Any]]:
    stored = read_setting(engine, SCHEDULE_KEY)
    if stored is None:
        return {}
    try:
        return validate_overrides(stored)
    except ValueError as error:
        logger.error("ignoring the stored schedule (%s): %s", SCHEDULE_KEY, error)
        return {}


def save_schedule(engine: Engine, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Validate and store the admin's overrides; returns the effective schedule."""
    write_setting(engine, SCHEDULE_KEY, validate_overrides(overrides))
    return effective_schedule(engine)


def effective_schedule(engine: Engine | None = None) -> dict[str, dict[str, Any]]:
    """What beat runs: defaults, then the environment, then the database (when given)."""
    layers = [env_overrides()]
    if engine is not None:
        layers.append(stored_overrides(engine))
    return merge(*layers)


def beat_schedule(spec: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Celery's ``beat_schedule`` for ``spec`` (defaults + environment when not given)."""
    spec = spec if spec is not None else effective_schedule()
    entries: dict[str, Any] = {}
    for name, entry in spec.items():
        if not entry.get("enabled", True):
            continue
        if "cron" in entry:
            schedule: Any = parse_cron(entry["cron"])
            options: dict[str, Any] = {}
        else:
            schedule = float(entry["every_s"])
            # A tick nobody ran before the next one is due is dropped, not piled up.
            options = {"expires": schedule}
        entries[name] = {"task": entry["task"], "schedule": schedule, "options": options}
    return entries


class DatabaseScheduler(PersistentScheduler):
    """Beat's scheduler: the persistent one, re-reading the stored schedule now and then."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._spec: dict[str, dict[str, Any]] | None = None
        self._next_reload = 0.0
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        super().setup_schedule()
        self._reload(force=True)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self._reload()
        delay: float = super().tick(*args, **kwargs)
        return min(delay, RELOAD_EVERY_S)

    def _reload(self, force: bool = False) -> None:
        if not force and time.monotonic() < self._next_reload:
            return
        self._next_reload = time.monotonic() + RELOAD_EVERY_S
        try:
            from ml.db import open_database
            from ml.settings import CoreSettings, load_settings

            engine = open_database(load_settings(CoreSettings).resolved_database_url())
            spec = effective_schedule(engine)
        except Exception as error:  # noqa: BLE001 - keep the schedule beat already has
            logger.warning("could not reload the schedule: %s", error)
            return
        if spec != self._spec:
            self._spec = spec
            self.merge_inplace(beat_schedule(spec))
            logger.info("beat schedule: %s", ", ".join(sorted(beat_schedule(spec))))
