"""The metrics workers record (stage durations, tasks, pages, rows), written to files that `/metrics` merges.

Celery runs tasks in other processes than the API, so a counter in memory would never reach `/metrics`.
prometheus_client's multiprocess mode keeps each process's values in a memory-mapped file under one
shared folder (`Settings.metrics_dir`); the API reads the whole folder at scrape time.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector

from scrapeflow.config import Settings, get_settings

# A stage lasts from a fraction of a second (save) to hours (a large scrape).
STAGE_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
TASK_OUTCOMES = ("succeeded", "failed", "retried")


@dataclass(frozen=True)
class _Recorders:
    stage_seconds: Histogram
    tasks: Counter
    pages: Counter
    rows: Counter


_recorders: _Recorders | None = None
_lock = threading.Lock()


def _process_identifier() -> str:
    """Unique across the containers sharing the folder (each has its own pid 1, 7, …), and changes on fork.

    The collector splits file names on `_`, so the host name must not contain one.
    """
    return f"{socket.gethostname().replace('_', '-')}-{os.getpid()}"


def configure_metrics(settings: Settings) -> Path:
    """Make this process write its metrics under the shared folder, once: recording does it on first use with
    the process's settings, so call it only to choose other settings. A forked child keeps the mode and opens
    files of its own."""
    with _lock:
        if _recorders is None:
            _configure(settings)
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def _configure(settings: Settings) -> None:
    global _recorders
    directory = settings.metrics_dir
    directory.mkdir(parents=True, exist_ok=True)
    # prometheus_client picks its value storage from this variable, read when a value file is opened.
    # One storage per process: a second one would map the same files twice.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.MultiProcessValue(_process_identifier)  # type: ignore[no-untyped-call]
    _recorders = _Recorders(
        stage_seconds=Histogram(
            "scrapeflow_stage_duration_seconds",
            "How long an execution's stage took (map, scrape, extract, save, export).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=None,
        ),
        tasks=Counter(
            "scrapeflow_tasks",
            "Celery tasks that ended, by task name and outcome (succeeded, failed, retried).",
            ["task", "outcome"],
            registry=None,
        ),
        pages=Counter("scrapeflow_pages", "Pages fetched, by outcome (done, failed).", ["outcome"], registry=None),
        rows=Counter("scrapeflow_rows", "Rows extracted.", registry=None),
    )


def _recorder() -> _Recorders:
    if _recorders is None:
        configure_metrics(get_settings())
    assert _recorders is not None
    return _recorders


def observe_stage(stage: str, seconds: float) -> None:
    """Record how long one stage of one execution took."""
    _recorder().stage_seconds.labels(stage=stage).observe(seconds)


def count_task(task: str, outcome: str) -> None:
    """Count a Celery task that ended: `succeeded`, `failed` (for good) or `retried`."""
    if outcome not in TASK_OUTCOMES:
        raise ValueError(f"task outcome {outcome!r} is not one of {TASK_OUTCOMES}")
    _recorder().tasks.labels(task=task, outcome=outcome).inc()


def count_pages(outcome: str, pages: int = 1) -> None:
    """Count fetched pages by outcome (`done` or `failed`); rate() of it is pages per second."""
    _recorder().pages.labels(outcome=outcome).inc(pages)


def count_rows(rows: int) -> None:
    """Count extracted rows; rate() of it is rows per second."""
    _recorder().rows.inc(rows)


def recorded_metrics(settings: Settings) -> CollectorRegistry:
    """A registry holding what every process wrote under the shared folder, merged."""
    directory = settings.metrics_dir
    directory.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return registry
