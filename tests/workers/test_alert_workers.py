"""Alerts through real Celery worker processes: two workers evaluating the same bars at once
store one event per (rule, bar), and a webhook that fails twice is delivered exactly once by
the workers' own retry schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import Engine, func, select, update

from ml.alerts.store import save_channel
from ml.db import make_engine, upgrade_to_head
from ml.db.schema import alert_events, delivery_attempts, notification_deliveries
from ml.settings import CoreSettings
from ops.redis_server import PrivateRedis
from tests.conftest import WorkerProcess, service_env
from tests.workers.alert_helpers import (
    SECRET,
    WebhookReceiver,
    add_rule,
    bar_frame,
    make_user,
    store_bars,
    webhook,
)
from workers.celery_app import create_celery
from workers.settings import WorkerSettings

__all__ = ["webhook"]

pytestmark = pytest.mark.slow

BROKER_DB = 7  # apart from the session worker's queues, which serve another database
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
RULES_PER_SYMBOL = 5


class AlertCluster:
    def __init__(self, engine: Engine, client: Celery, workers: list[WorkerProcess],
                 redis_url: str) -> None:
        self.engine = engine
        self.client = client
        self.workers = workers
        self.redis_url = redis_url


@pytest.fixture(scope="module")
def cluster(redis_server: PrivateRedis,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertCluster]:
    var_dir = tmp_path_factory.mktemp("alert-var")
    database_url = f"sqlite:///{var_dir / 'foresight.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    env = service_env(redis_url=redis_server.url, database_url=database_url, var_dir=var_dir)
    env.update({"FORESIGHT_BROKER_DB": str(BROKER_DB), "FORESIGHT_ALERT_RETRY_BASE_S": "0.2",
                "FORESIGHT_ALERT_OVERDUE_S": "3600",
                # The test symbols exist only in this database: nothing to fetch for them.
                "FORESIGHT_ALERT_REFRESH_DATA": "0"})
    logs = tmp_path_factory.mktemp("alert-logs")
    workers = [WorkerProcess(env, logs / f"w{n}.log", name=f"alerts{n}", queues="default",
                             concurrency=2) for n in (1, 2)]
    client = create_celery(WorkerSettings(redis_url=redis_server.url, broker_db=BROKER_DB),
                           CoreSettings(var_dir=Path(var_dir), database_url=database_url))
    try:
        for worker in workers:
            worker.wait_ready()
        yield AlertCluster(engine, client, workers, redis_server.url)
    finally:
        for worker in workers:
            worker.stop()
        client.close()
        engine.dispose()


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar())


def test_two_workers_store_one_event_per_rule_and_bar(cluster: AlertCluster) -> None:
    engine = cluster.engine
    user = make_user(engine, "concurrent")
    # 30 bars rising 1 a day from 100: "above 125" holds on the last 4 bars of each symbol.
    for symbol in SYMBOLS:
        store_bars(engine, symbol, "1d", bar_frame([100.0 + i for i in range(30)]))
        for n in range(RULES_PER_SYMBOL):
            add_rule(engine, user, symbol=symbol, params={"condition": "above",
                                                          "level": 125 + n * 0.1})
    # Eight checks at once on two workers x two processes, each re-evaluating the last 6 bars.
    results = [cluster.client.send_task("workers.alert_tasks.check",
                                        kwargs={"reevaluate_bars": 6}) for _ in range(8)]
    reports = [r.get(timeout=90) for r in results]
    assert all(report["errors"] == [] for report in reports), reports
    expected = len(SYMBOLS) * RULES_PER_SYMBOL * 4
    assert sum(len(report["events"]) for report in reports) == expected
    with engine.connect() as connection:
        keys = connection.execute(select(alert_events.c.rule_id, alert_events.c.bar_ts)).all()
    assert len(keys) == len(set(keys)) == expected
    # One in-app delivery per event, none duplicated, all delivered by the workers.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            states = connection.execute(select(notification_deliveries.c.state)).scalars().all()
        if len(states) == expected and set(states) == {"delivered"}:
            break
        time.sleep(0.2)
    assert len(states) == expected and set(states) == {"delivered"}
    # Both workers took part.
    for worker in cluster.workers:
        assert "workers.alert_tasks.check" in worker.log()


def test_webhook_failing_twice_is_delivered_once_by_the_workers(
        cluster: AlertCluster, webhook: WebhookReceiver) -> None:
    engine = cluster.engine
    user = make_user(engine, "hooked")
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": SECRET})
    webhook.script = [500, 500]
    store_bars(engine, "HOOK", "1h", bar_frame([100.0, 101.0], start="2024-03-01",
                                               freq="1h"))
    rule = add_rule(engine, user, symbol="HOOK", interval="1h",
                    params={"condition": "crosses_up", "level": 100.5},
                    channels=("webhook",), created=datetime(2024, 1, 1, tzinfo=UTC))
    report = cluster.client.send_task("workers.alert_tasks.evaluate_series",
                                      args=["HOOK", "1h"]).get(timeout=60)
    assert len(report["events"]) == 1
    assert webhook.event.wait(timeout=60), webhook.received
    time.sleep(1.0)  # room for a wrong extra send to show up
    assert [r.status for r in webhook.received] == [500, 500, 200]
    assert all(r.signature_ok for r in webhook.received)
    sent = webhook.delivered()[0].json()
    assert sent["event"]["rule_id"] == rule and sent["event"]["symbol"] == "HOOK"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            row = connection.execute(select(notification_deliveries).where(
                notification_deliveries.c.channel == "webhook")).one()
        if row.state == "delivered":
            break
        time.sleep(0.1)
    assert (row.state, row.attempts) == ("delivered", 3)
    with engine.connect() as connection:
        log = connection.execute(select(delivery_attempts.c.ok).where(
            delivery_attempts.c.delivery_id == row.id).order_by(delivery_attempts.c.id)
        ).scalars().all()
    assert log == [False, False, True]
    assert _count(engine, alert_events) >= 1


def test_beats_check_alerts_hook_runs_the_alert_engine(cluster: AlertCluster) -> None:
    engine = cluster.engine
    user = make_user(engine, "beat")
    store_bars(engine, "BEAT", "1d", bar_frame([90.0, 95.0, 99.0]))
    add_rule(engine, user, symbol="BEAT", params={"condition": "above", "level": 98})
    result = cluster.client.send_task("workers.tasks.check_alerts", kwargs={}).get(timeout=60)
    assert result["errors"] == [] and len(result["events"]) == 1, result
    with engine.connect() as connection:
        stored = connection.execute(select(alert_events.c.symbol, alert_events.c.bar_ts)
                                    .where(alert_events.c.symbol == "BEAT")).all()
    assert len(stored) == 1


def test_alert_pairs_get_new_bars_and_are_evaluated_at_once(cluster: AlertCluster) -> None:
    import redis

    from ml.db import write_transaction
    from ml.db.schema import alert_rules, fetch_state
    from workers.alert_tasks import due_for_refresh, queue_refreshes

    engine = cluster.engine
    with write_transaction(engine) as connection:  # the other tests' pairs exist only here
        connection.execute(update(alert_rules).values(active=False))
    user = make_user(engine, "refresher")
    add_rule(engine, user, symbol="sample:SPX", params={"condition": "above", "level": 1})
    client = redis.Redis.from_url(f"{cluster.redis_url.rstrip('/')}/{BROKER_DB}")
    now = datetime.now(UTC)
    assert due_for_refresh(engine, now) == {"1d": ["sample:SPX"]}
    assert len(queue_refreshes(engine, now, celery=cluster.client, client=client)) == 1
    # One in flight per period, even before the task has run.
    assert queue_refreshes(engine, now, celery=cluster.client, client=client) == []
    deadline = time.monotonic() + 90
    fired = []
    while time.monotonic() < deadline and not fired:
        with engine.connect() as connection:
            fired = connection.execute(select(alert_events.c.bar_ts).where(
                alert_events.c.symbol == "sample:SPX")).all()
        time.sleep(0.3)
    # The worker fetched the bars (sample data ships offline) and evaluated the series.
    assert len(fired) == 1
    with engine.connect() as connection:
        state = connection.execute(select(fetch_state).where(
            fetch_state.c.symbol == "sample:SPX")).one()
    assert state.interval == "1d"
    # Freshly fetched: not due again (sample data has no newer bar than its last).
    assert due_for_refresh(engine, datetime.now(UTC)) == {}
    client.close()
