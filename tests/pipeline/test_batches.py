"""How an execution's pages are cut into scrape batches."""

from __future__ import annotations

import pytest

from scrapeflow.pipeline.stages.common import batch_size


@pytest.mark.parametrize(
    ("pages", "most", "expected"),
    [
        (2000, 100, 100),  # a big crawl: the largest batches
        (400, 100, 50),  # cut in eight, so eight batches can run side by side
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
