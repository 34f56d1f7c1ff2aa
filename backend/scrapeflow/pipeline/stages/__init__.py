"""The stages of an execution: map → scrape (a chord of batches) → extract → save → export.

Each stage is idempotent: it reads the execution's state, does only what is not done, and moves the execution
on with an atomic claim (`UPDATE … WHERE stage = <from>`), so a task delivered twice (a worker killed before
its ack) or restarted by the watchdog changes nothing twice. Tasks pass ids; pages, snapshots and rows live in
the database and artifact storage.
"""

from scrapeflow.pipeline.stages.common import FINISHED, WORKER_CLIENT, Enqueuer, Runtime, execution_prefix
from scrapeflow.pipeline.stages.exporting import export_stage
from scrapeflow.pipeline.stages.extracting import extract_stage
from scrapeflow.pipeline.stages.mapping import map_stage
from scrapeflow.pipeline.stages.saving import save_stage
from scrapeflow.pipeline.stages.scraping import scrape_stage
from scrapeflow.pipeline.stages.watchdog import watchdog

__all__ = [
    "FINISHED",
    "WORKER_CLIENT",
    "Enqueuer",
    "Runtime",
    "execution_prefix",
    "export_stage",
    "extract_stage",
    "map_stage",
    "save_stage",
    "scrape_stage",
    "watchdog",
]
