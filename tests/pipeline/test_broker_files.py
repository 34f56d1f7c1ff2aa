"""The single-machine broker writes each message under a name no consumer reads and renames it into place, so
a worker never picks up a half-written file (kombu's own transport creates the file before writing it, and a
worker that took it in between stopped with "Unrecoverable error: JSONDecodeError")."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kombu import Queue  # type: ignore[attr-defined]

from scrapeflow.pipeline.broker import FilesystemTransport
from scrapeflow.pipeline.celery_app import broker_folders, create_celery
from tests.conftest import make_settings


def test_the_embedded_broker_writes_whole_messages(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    celery = create_celery(settings)
    folder = broker_folders(settings)["queue"]
    folder.mkdir(parents=True)
    with celery.connection_for_write() as connection:
        assert connection.get_transport_cls() is FilesystemTransport
        connection.SimpleQueue(Queue("whole")).put({"number": 1})
    [name] = os.listdir(folder)
    assert name.endswith(".msg")  # renamed into place; no `.part` left behind
    assert json.loads((folder / name).read_text())["body"]
