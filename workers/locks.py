"""One training per (symbol, interval) at a time: a Redis lock whose value is the job id.

The web side takes the lock before it sends the task, so a second request sees the holder and
gets the running job's id back. The task confirms the lock when it starts (a redelivered task
has the same id, so it re-enters its own lock) and releases it when it ends. The lock expires
on its own after ``ttl_s`` (longer than the hard time limit), so a lost worker cannot hold it
for ever. Release and refresh compare the value first (a Lua script), so a late finisher never
frees a lock that another job holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

LOCK_PREFIX = "foresight:lock:"

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def training_lock_key(symbol: str, interval: str) -> str:
    if not symbol or not interval:
        raise ValueError(f"symbol and interval are required, got {symbol!r}, {interval!r}")
    return f"{LOCK_PREFIX}train:{symbol}:{interval}"


def acquire(client: Any, key: str, job_id: str, ttl_s: float) -> str:
    """Take ``key`` for ``job_id``; returns the holder (``job_id`` itself when it got it).

    A job re-entering its own lock (a redelivery) refreshes the expiry.
    """
    ttl_ms = int(ttl_s * 1000)
    if ttl_ms <= 0:
        raise ValueError(f"ttl_s must be positive, got {ttl_s}")
    for _ in range(3):
        if client.set(key, job_id, nx=True, px=ttl_ms):
            return job_id
        holder = client.get(key)
        if holder is None:
            continue  # expired between SET and GET: try again
        holder = holder.decode() if isinstance(holder, bytes) else str(holder)
        if holder == job_id:
            client.pexpire(key, ttl_ms)
        return holder
    raise RuntimeError(f"could not read or take lock {key}")


def steal(client: Any, key: str, stale_holder: str, job_id: str, ttl_s: float) -> bool:
    """Replace a holder known to be finished (its job row says so) with ``job_id``."""
    script = """
    if redis.call('get', KEYS[1]) == ARGV[1] then
      redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
    end
    return 0
    """
    return bool(client.eval(script, 1, key, stale_holder, job_id, int(ttl_s * 1000)))


def take_unless_running(client: Any, key: str, job_id: str, ttl_s: float,
                        finished: Callable[[str], bool]) -> str | None:
    """The one takeover rule: None when ``job_id`` now holds ``key``, else the running holder.

    A holder whose job ``finished`` (its worker died after the final write, before releasing)
    is replaced. A holder with no job row yet is a submission in flight (the lock is taken
    before the row is written), so it counts as running; a crashed one frees the key by expiry.
    """
    current = acquire(client, key, job_id, ttl_s)
    if current == job_id:
        return None
    if finished(current):
        if steal(client, key, current, job_id, ttl_s):
            return None
        return holder(client, key)
    return current


def release(client: Any, key: str, job_id: str) -> bool:
    """Free ``key`` if ``job_id`` holds it; False when someone else (or nobody) does."""
    return bool(client.eval(_RELEASE, 1, key, job_id))


def refresh(client: Any, key: str, job_id: str, ttl_s: float) -> bool:
    """Extend the expiry while the holder is still working."""
    return bool(client.eval(_REFRESH, 1, key, job_id, int(ttl_s * 1000)))


def holder(client: Any, key: str) -> str | None:
    value = client.get(key)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
