"""What `GET /metrics` serves: state read at scrape time (executions, queues, workers) and the workers' counters."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Execution, ExecutionStatus
from scrapeflow.observability.heartbeats import active_workers
from scrapeflow.observability.metrics import recorded_metrics
from scrapeflow.observability.queues import QUEUES, queue_lengths

logger = structlog.get_logger("scrapeflow.metrics")
BEAT = "beat"  # the heartbeat "queue" beat stamps itself on


class _Snapshot(Collector):
    """Metric families computed before the registry is rendered."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


async def execution_counts(session: AsyncSession) -> dict[ExecutionStatus, int]:
    """Executions per status across every organization: an operator's view, no tenant's data."""
    rows = await session.execute(select(Execution.status, func.count()).group_by(Execution.status))
    counts = dict.fromkeys(ExecutionStatus, 0)
    counts.update(dict(rows.all()))
    return counts


def _gauge(name: str, documentation: str, label: str, samples: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in samples.items():
        family.add_metric([value], count)
    return family


async def _broker_families(settings: Settings) -> list[Metric]:
    """Queue lengths and live workers; a broker that does not answer is reported, not raised."""
    up = GaugeMetricFamily("scrapeflow_broker_up", "1 when the broker answered this scrape.")
    try:
        lengths = await queue_lengths(settings)
        workers = await active_workers(settings, (*QUEUES, BEAT))
    except (RedisError, OSError) as exc:
        logger.warning("metrics_broker_unreachable", error=type(exc).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    beat = GaugeMetricFamily("scrapeflow_beat_active", "Beat processes that stamped a heartbeat recently.")
    beat.add_metric([], workers.pop(BEAT))
    return [
        up,
        _gauge("scrapeflow_queue_length", "Messages waiting in each Celery queue.", "queue", lengths),
        _gauge("scrapeflow_workers_active", "Workers consuming each queue (recent heartbeats).", "queue", workers),
        beat,
    ]


async def render_metrics(session: AsyncSession, settings: Settings) -> bytes:
    """The Prometheus text exposition of everything ScrapeFlow measures."""
    counts = await execution_counts(session)
    executions = _gauge(
        "scrapeflow_executions",
        "Executions in each status, all organizations.",
        "status",
        {status.value: count for status, count in counts.items()},
    )
    registry = recorded_metrics(settings)
    registry.register(_Snapshot([executions, *await _broker_families(settings)]))
    return generate_latest(registry)
