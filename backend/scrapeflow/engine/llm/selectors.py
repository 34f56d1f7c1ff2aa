"""Selectors learned from the LLM's answers: what they are, where they are kept, and running them on a page.

A bot's `llm_extract` node keeps a few page templates (a site has product pages, list pages…):
each is a set of field selectors, relative to an item selector on list pages. They are stored by
the caller through `SelectorStore` (a row per bot and node; a dict here) as plain JSON
(`to_dict`/`from_dict`). Running a template never guesses: a field whose selector matches
nothing, or whose text is not of the field's type, is reported as failed so the LLM is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from selectolax.lexbor import SelectolaxError

from scrapeflow.engine.extraction.document import Lexbor, PageDocument
from scrapeflow.engine.llm.schema import Row, convert
from scrapeflow.workflow.nodes import LlmField

MAX_TEMPLATES = 4
MAX_NULL_TEXTS = 5
SelectorKey = tuple[str, str]  # (bot id, node id)


@dataclass
class LearnedField:
    """How to read one field: the selector, which attribute (else the text), and the text around the value."""

    selector: str
    type: str
    attribute: str | None = None
    prefix: str = ""
    suffix: str = ""
    # Learned from the LLM's nulls: the field may be absent where the selector matches nothing,
    # and these texts ("No reviews yet") mean "no value" rather than a changed page.
    optional: bool = False
    null_texts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selector": self.selector,
            "type": self.type,
            "attribute": self.attribute,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "optional": self.optional,
            "null_texts": list(self.null_texts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnedField:
        return cls(
            selector=str(data["selector"]),
            type=str(data["type"]),
            attribute=data.get("attribute"),
            prefix=str(data.get("prefix", "")),
            suffix=str(data.get("suffix", "")),
            optional=bool(data.get("optional", False)),
            null_texts=[str(text) for text in data.get("null_texts", [])],
        )


@dataclass
class PageTemplate:
    """Selectors for one kind of page: fields on the page, or relative to each item of a list."""

    fields: dict[str, LearnedField]
    item_selector: str | None = None
    learned_from: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_selector": self.item_selector,
            "learned_from": self.learned_from,
            "fields": {name: spec.to_dict() for name, spec in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageTemplate:
        return cls(
            fields={name: LearnedField.from_dict(spec) for name, spec in dict(data.get("fields", {})).items()},
            item_selector=data.get("item_selector"),
            learned_from=str(data.get("learned_from", "")),
        )


@dataclass
class LearnedSelectors:
    """A node's templates, the most recently useful first."""

    templates: list[PageTemplate] = field(default_factory=list)

    def remember(self, template: PageTemplate) -> None:
        """Put `template` first (replacing itself if already kept), dropping the least recently useful."""
        self.templates = [template, *(kept for kept in self.templates if kept is not template)][:MAX_TEMPLATES]

    def to_dict(self) -> dict[str, Any]:
        return {"templates": [template.to_dict() for template in self.templates]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnedSelectors:
        return cls(templates=[PageTemplate.from_dict(item) for item in data.get("templates", [])])


class SelectorStore(Protocol):
    async def load(self, key: SelectorKey) -> LearnedSelectors | None: ...

    async def save(self, key: SelectorKey, selectors: LearnedSelectors) -> None: ...


class InMemorySelectorStore:
    """Learned selectors in this process (tests, test runs, one execution); copies in and out, like a database."""

    def __init__(self) -> None:
        self._saved: dict[SelectorKey, dict[str, Any]] = {}

    async def load(self, key: SelectorKey) -> LearnedSelectors | None:
        data = self._saved.get(key)
        return None if data is None else LearnedSelectors.from_dict(data)

    async def save(self, key: SelectorKey, selectors: LearnedSelectors) -> None:
        self._saved[key] = selectors.to_dict()


@dataclass(frozen=True)
class Reading:
    value: Any
    problem: str | None = None  # why the value cannot be trusted; None when it can (a null included)
    matched: bool = True
    raw: str | None = None


def _strip(raw: str, prefix: str, suffix: str) -> str | None:
    text = " ".join(raw.split())
    if not text.lower().startswith(prefix.lower()) or not text.lower().endswith(suffix.lower()):
        return None
    return text[len(prefix) : len(text) - len(suffix)].strip()


def read_field(scope: Any, learned: LearnedField, base_url: str) -> Reading:
    try:
        nodes = Lexbor.select(scope, learned.selector)
    except SelectolaxError as exc:
        return Reading(None, f"`{learned.selector}` is not a valid selector ({exc})", matched=False)
    if not nodes:
        problem = None if learned.optional else f"`{learned.selector}` matched nothing"
        return Reading(None, problem, matched=False)
    if learned.type != "list":
        nodes = nodes[:1]
    raws = [Lexbor.attribute(node, learned.attribute) if learned.attribute else Lexbor.text(node) for node in nodes]
    if any(raw is None for raw in raws):
        return Reading(None, f"`{learned.selector}` has no {learned.attribute} attribute")
    texts = [_strip(str(raw), learned.prefix, learned.suffix) for raw in raws]
    shown = str(raws[0])[:60]
    if any(text is None for text in texts):
        return Reading(None, f"`{learned.selector}` gave {shown!r}, no longer worded as before", raw=shown)
    value = convert(learned.type, texts if learned.type == "list" else texts[0], base_url)
    if value is None or value == []:
        if texts[0] in learned.null_texts or (learned.optional and not texts[0]):
            return Reading(None, raw=texts[0])
        return Reading(None, f"`{learned.selector}` gave {shown!r}, which is not a {learned.type}", raw=texts[0])
    return Reading(value, raw=texts[0])


@dataclass
class TemplateRun:
    rows: list[Row]
    readable: list[str]  # fields the template has a selector for (of the node's current type)
    failed: dict[str, str]  # field → why its selector failed on this page

    @property
    def complete(self) -> bool:
        return not self.failed


def run_template(doc: PageDocument, template: PageTemplate, fields: list[LlmField]) -> TemplateRun:
    usable = [
        spec for spec in fields if (kept := template.fields.get(spec.name)) is not None and kept.type == spec.type
    ]
    run = TemplateRun(rows=[], readable=[spec.name for spec in usable], failed={})
    scopes: list[Any] = [doc.tree]
    if template.item_selector:
        try:
            scopes = Lexbor.select(doc.tree, template.item_selector)
        except SelectolaxError:
            scopes = []
        if not scopes:
            run.failed = {spec.name: f"the list items `{template.item_selector}` matched nothing" for spec in usable}
            return run
    for index, scope in enumerate(scopes):
        row: Row = {}
        for spec in usable:
            reading = read_field(scope, template.fields[spec.name], doc.url)
            if reading.problem and spec.name not in run.failed:
                run.failed[spec.name] = reading.problem + (f" (item {index + 1})" if template.item_selector else "")
            row[spec.name] = reading.value
        run.rows.append(row)
    return run
