"""How an execution's pages are cut into scrape batches, and when and in which groups a batch writes the pages
it has finished."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from scrapeflow.engine.runner import PageResult
from scrapeflow.pipeline.stages.common import batch_size
from scrapeflow.pipeline.stages.scraping import FLUSH_EVERY_PAGES, _Done, _Recorder, flush_due


@pytest.mark.parametrize(
    ("pages", "most", "expected"),
    [
        (2000, 250, 250),  # a big crawl: the largest batches
        (2000, 100, 100),
        (400, 250, 50),  # cut in eight, so eight batches can run side by side
        (150, 100, 19),
        (30, 100, 10),  # but never below ten pages: a batch has a set-up cost
        (1, 100, 10),
        (2000, 5, 5),  # a smaller SCRAPE_BATCH_SIZE always wins
        (3, 2, 2),
        (0, 100, 10),
        (50, 0, 1),
    ],
)
def test_batch_size(pages: int, most: int, expected: int) -> None:
    assert batch_size(pages, most) == expected


@pytest.mark.parametrize(
    ("pages", "held", "waited", "due"),
    [
        (1, 4_000, 0.2, False),  # a fast batch waits: every group costs a pack and a transaction
        (249, 249 * 5_000, 0.9, False),
        (250, 250 * 5_000, 0.1, True),  # 250 pages
        (12, 9 * 1024 * 1024, 0.1, True),  # or 8 MiB of snapshots, for large pages
        (1, 4_000, 1.01, True),  # or a second: the live counters move
    ],
)
def test_a_batch_writes_its_finished_pages_in_groups(pages: int, held: int, waited: float, due: bool) -> None:
    assert flush_due(pages, held, waited) is due


async def test_pages_finished_while_a_group_is_written_wait_for_the_next_group() -> None:
    written: list[list[str]] = []
    writing = asyncio.Event()
    release = asyncio.Event()

    async def write(group: list[_Done]) -> None:
        writing.set()
        await release.wait()  # a transaction in progress
        written.append([done.result.url for done in group])

    recorder = _Recorder(write)

    def finished(n: int) -> _Done:
        return _Done(uuid.uuid4(), PageResult(f"https://shop.example/{n}", 1, 1), None, b"<html></html>")

    # The 250th page starts a group; while it is written, ten more pages finish.
    first = asyncio.gather(*(recorder.add(finished(n)) for n in range(FLUSH_EVERY_PAGES)))
    await writing.wait()
    for n in range(FLUSH_EVERY_PAGES, FLUSH_EVERY_PAGES + 10):
        await recorder.add(finished(n))
    release.set()
    await first
    # They are not written as a group of their own as soon as the first one is written: five more join them,
    # and the batch's end writes the fifteen together.
    for n in range(FLUSH_EVERY_PAGES + 10, FLUSH_EVERY_PAGES + 15):
        await recorder.add(finished(n))
    await recorder.flush()
    await recorder.flush()  # nothing left: no empty group

    assert [len(group) for group in written] == [FLUSH_EVERY_PAGES, 15]
    every_page = [f"https://shop.example/{n}" for n in range(FLUSH_EVERY_PAGES + 15)]
    assert [url for group in written for url in group] == every_page
