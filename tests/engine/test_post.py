"""Post steps: what `dedupe` lets through against the bot's previous rows, and how rows differ."""

from __future__ import annotations

from typing import Any

from scrapeflow.engine.post import post_process, row_diff, row_key
from scrapeflow.workflow.nodes import DedupeData
from scrapeflow.workflow.plan import Step

BEFORE = {"sku": "A1", "title": "Chair", "price": 10}


def dedupe(emit: str) -> tuple[Step, ...]:
    return (Step("d", "dedupe", DedupeData(keys=["sku"], emit=emit)),)  # type: ignore[arg-type]


def previous(key: str) -> dict[str, Any] | None:
    return BEFORE if key == row_key(BEFORE, ["sku"]) else None


def test_a_field_that_appears_empty_is_no_change() -> None:
    assert row_diff(BEFORE, {**BEFORE, "stock": None}) == {}
    assert row_diff(BEFORE, {**BEFORE, "price": 12}) == {"price": {"from": 10, "to": 12}}


def test_dedupe_emits_only_new_or_only_changed_rows() -> None:
    rows = [{**BEFORE, "stock": None}, {"sku": "B2", "title": "Desk", "price": 99}, {**BEFORE, "price": 12}]
    assert [row["sku"] for row in post_process(rows, dedupe("new"), previous)] == ["B2"]
    assert list(post_process([rows[0], rows[2]], dedupe("changed"), previous)) == []  # first of a key decides
    assert list(post_process([rows[2]], dedupe("changed"), previous)) == [rows[2]]
    assert list(post_process([rows[0]], dedupe("changed"), previous)) == []  # only a new, empty field
    assert len(list(post_process(rows, dedupe("all"), previous))) == 2  # the second A1 is the same key
