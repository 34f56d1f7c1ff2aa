"""UUIDv7 ids: valid version 7, time-ordered, and strictly increasing within a process."""

from __future__ import annotations

import time
import uuid
from unittest import mock

from scrapeflow.kit import ids


def test_ids_are_version_7_and_carry_the_time() -> None:
    before = time.time_ns() // 1_000_000
    value = ids.uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_ids_made_in_the_same_millisecond_keep_their_order() -> None:
    made = [ids.uuid7() for _ in range(20_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in made)


def test_a_clock_that_steps_back_does_not_reorder_ids() -> None:
    first = ids.uuid7()
    with mock.patch.object(ids.time, "time_ns", return_value=(first.int >> 80) * 1_000_000 - 5_000_000_000):
        later = [ids.uuid7() for _ in range(3)]
    assert [first, *later] == sorted([first, *later])
