"""What the page steps do to one page: extract rows, and find the pages to visit next.

`run_page_steps` runs them on a page fetched over HTTP. The browser (engine/browser/) runs its own actions
(click, fill, scroll…) and hands each rendered snapshot to the same `StepRecorder.document_step`, so both
paths extract, paginate and follow links with one piece of code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import ExtractResult, Row, loop_scopes, run_extract
from scrapeflow.engine.urls import normalise, same_site
from scrapeflow.workflow.nodes import BROWSER_ONLY, ExtractData, FollowData, LoopData, PaginateData
from scrapeflow.workflow.plan import Step

# Steps plain HTTP cannot perform: the browser-only actions, and `navigate` (opening another address
# mid-page keeps the page's cookies and state only in a browser).
BROWSER_STEPS = BROWSER_ONLY | {"navigate"}


@dataclass(frozen=True)
class NextPage:
    """A page to visit, and the index of the page step to start it at."""

    url: str
    step_index: int
    page_number: int = 1


@dataclass
class StepOutput:
    """What one node did on one page, for the test-run view and the logs."""

    node_id: str
    type: str
    elapsed_ms: float = 0.0
    rows: list[Row] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class PageWork:
    rows: list[Row]
    next_pages: list[NextPage]
    outputs: list[StepOutput]
    misses: dict[str, int]


def browser_step(steps: tuple[Step, ...], start: int = 0) -> Step | None:
    """The first step a page starting at `start` runs that needs a browser (a `follow` hands the rest to
    the linked pages, so steps after it do not count), or None when plain HTTP can run them all."""
    for step in steps[start:]:
        if step.type in BROWSER_STEPS:
            return step
        if step.type == "follow":
            return None
    return None


def pagination(doc: PageDocument, data: PaginateData, index: int, page_number: int) -> list[NextPage]:
    """The next pages a `paginate` step schedules: every numbered page (from page 1), or the `next` link."""
    if page_number >= data.max_pages:
        return []
    if data.url_pattern:
        if page_number != 1:
            return []  # page 1 schedules every numbered page at once
        return [
            NextPage(data.url_pattern.replace("{page}", str(number)), index + 1, number)
            for number in range(2, data.max_pages + 1)
        ]
    assert data.next_selector is not None
    link = doc.tree.css_first(data.next_selector)
    href = link.attributes.get("href") if link is not None else None
    target = normalise(str(href), doc.url) if href else None
    return [NextPage(target, index, page_number + 1)] if target else []


def follow_links(doc: PageDocument, data: FollowData, index: int) -> list[NextPage]:
    found: list[NextPage] = []
    seen: set[str] = set()
    for node in doc.tree.css(data.selector):
        href = node.attributes.get("href")
        target = normalise(str(href), doc.url) if href else None
        if not target or target in seen or (data.same_site and not same_site(target, doc.url)):
            continue
        seen.add(target)
        found.append(NextPage(target, index + 1))
        if len(found) >= data.max_links:
            break
    return found


def has_value(value: Any) -> bool:
    return value is not None and value != "" and value != []


class StepRecorder:
    """What the steps did on one page so far: single-value fields, list rows, next pages, and each node's
    output (one per node, even when a loop or in-page pagination runs a node several times)."""

    def __init__(self) -> None:
        self.context: Row = {}
        self.list_rows: list[Row] = []
        self.next_pages: list[NextPage] = []
        self.outputs: list[StepOutput] = []
        self.misses: dict[str, int] = {}
        self.extracted = False
        self.loop_selector: str | None = None
        self._by_node: dict[str, StepOutput] = {}

    def output(self, step: Step) -> StepOutput:
        output = self._by_node.get(step.node_id)
        if output is None:
            output = self._by_node[step.node_id] = StepOutput(step.node_id, step.type)
            self.outputs.append(output)
        return output

    def document_step(self, doc: PageDocument, step: Step, index: int, page_number: int) -> bool:
        """Run a step that only reads the document (paginate, follow, loop, extract); False when the page's
        own work ends here (`follow` hands the next steps to the linked pages)."""
        began = time.perf_counter()
        output = self.output(step)
        data = step.data
        go_on = True
        if isinstance(data, PaginateData):
            found = pagination(doc, data, index, page_number)
            self.next_pages += found
            output.values = {"next": [page.url for page in found]}
        elif isinstance(data, FollowData):
            found = follow_links(doc, data, index)
            self.next_pages += found
            output.values = {"links": output.values.get("links", 0) + len(found)}
            go_on = False
        elif isinstance(data, LoopData):
            self.loop_selector = data.selector
            output.values = {"selector": data.selector}
        elif isinstance(data, ExtractData):
            self.record_extract(output, data, self.extract(doc, data), as_rows=self.loop_selector is not None)
        output.elapsed_ms += (time.perf_counter() - began) * 1000
        return go_on

    def extract(self, doc: PageDocument, data: ExtractData) -> ExtractResult:
        """An extract step's rows on this document: one per element of the current `loop`, if any."""
        scopes = loop_scopes(doc, self.loop_selector, data) if self.loop_selector is not None else None
        return run_extract(doc, data, scopes)

    def finds_nothing(self, doc: PageDocument, step: Step, index: int) -> bool:
        """True when an extract or follow step would find nothing at all on this document."""
        data = step.data
        if isinstance(data, ExtractData):
            return not any(has_value(value) for row in self.extract(doc, data).rows for value in row.values())
        if isinstance(data, FollowData):
            return not follow_links(doc, data, index)
        return False

    def record_extract(self, output: StepOutput, data: ExtractData, result: ExtractResult, *, as_rows: bool) -> None:
        """Keep an extract's result: list rows (list mode, or one row per looped element), else page values."""
        self.extracted = True
        for name, count in result.misses.items():
            self.misses[name] = self.misses.get(name, 0) + count
        if data.mode == "list" or as_rows:
            self.list_rows.extend(result.rows)
        elif result.rows:
            self.context.update(result.rows[0])
        output.rows = (output.rows or []) + result.rows
        output.values = {"misses": result.misses}
        if result.errors:
            output.error = "; ".join(result.errors)

    def work(self) -> PageWork:
        """Single-value fields apply to every list row; with no list, the page is one row."""
        if self.list_rows:
            rows = [{**self.context, **row} for row in self.list_rows]
        else:
            rows = [self.context] if self.extracted and self.context else []
        return PageWork(rows, self.next_pages, self.outputs, self.misses)


def run_page_steps(doc: PageDocument, steps: tuple[Step, ...], start: int = 0, page_number: int = 1) -> PageWork:
    """Run steps[start:] on a page fetched over HTTP. `follow` hands the rest of the steps to the linked pages."""
    recorder = StepRecorder()
    for index in range(start, len(steps)):
        step = steps[index]
        if step.type in BROWSER_STEPS:
            raise EngineError(
                ErrorCode.NAVIGATION_ERROR,
                f"The step {step.node_id!r} ({step.type}) needs a real browser, which plain HTTP fetching cannot do. "
                "Set the bot's rendering to auto or browser.",
            )
        if not recorder.document_step(doc, step, index, page_number):
            break
    return recorder.work()
