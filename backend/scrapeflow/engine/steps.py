"""What the page steps do to one fetched page over HTTP: extract rows, and find the pages to visit next."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import Row, loop_scopes, run_extract
from scrapeflow.engine.urls import normalise, same_site
from scrapeflow.workflow.nodes import BROWSER_ONLY, ExtractData, FollowData, LoopData, PaginateData
from scrapeflow.workflow.plan import Step


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


def _pagination(doc: PageDocument, data: PaginateData, index: int, page_number: int) -> list[NextPage]:
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


def _follow(doc: PageDocument, data: FollowData, index: int) -> list[NextPage]:
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


def run_page_steps(doc: PageDocument, steps: tuple[Step, ...], start: int = 0, page_number: int = 1) -> PageWork:
    """Run steps[start:] on a page. `follow` hands the rest of the steps to the linked pages."""
    context: Row = {}
    list_rows: list[Row] = []
    next_pages: list[NextPage] = []
    outputs: list[StepOutput] = []
    misses: dict[str, int] = {}
    scopes: list[Any] | None = None
    extracted = False
    loop_selector: str | None = None
    for index in range(start, len(steps)):
        step = steps[index]
        began = time.perf_counter()
        output = StepOutput(step.node_id, step.type)
        outputs.append(output)
        data = step.data
        if step.type in BROWSER_ONLY or step.type == "navigate":
            raise EngineError(
                ErrorCode.NAVIGATION_ERROR,
                f"The step {step.node_id!r} ({step.type}) needs a real browser, which plain HTTP fetching cannot do.",
            )
        if isinstance(data, PaginateData):
            found = _pagination(doc, data, index, page_number)
            next_pages += found
            output.values = {"next": [page.url for page in found]}
        elif isinstance(data, FollowData):
            found = _follow(doc, data, index)
            next_pages += found
            output.values = {"links": len(found)}
            output.elapsed_ms = (time.perf_counter() - began) * 1000
            return PageWork(_rows(context, list_rows, extracted), next_pages, outputs, misses)
        elif isinstance(data, LoopData):
            loop_selector = data.selector
            output.values = {"selector": data.selector}
        elif isinstance(data, ExtractData):
            if loop_selector is not None:
                scopes = loop_scopes(doc, loop_selector, data)
            result = run_extract(doc, data, scopes)
            extracted = True
            for name, count in result.misses.items():
                misses[name] = misses.get(name, 0) + count
            if data.mode == "list" or scopes is not None:
                list_rows.extend(result.rows)
            elif result.rows:
                context.update(result.rows[0])
            output.rows = result.rows
            output.values = {"misses": result.misses}
            if result.errors:
                output.error = "; ".join(result.errors)
        output.elapsed_ms = (time.perf_counter() - began) * 1000
    return PageWork(_rows(context, list_rows, extracted), next_pages, outputs, misses)


def _rows(context: Row, list_rows: list[Row], extracted: bool) -> list[Row]:
    """Single-value fields apply to every list row; with no list, the page is one row."""
    if list_rows:
        return [{**context, **row} for row in list_rows]
    return [context] if extracted and context else []
