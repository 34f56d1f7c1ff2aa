"""LLM answers cached by what decides them: the page's content, the fields, the instructions and the model.

An unchanged page therefore costs no tokens, whatever its URL or fetch time. Storage is the
caller's (a database table in executions, a dict in tests and single runs): it implements
`LlmCache`. The key holds no tenant, so a caller that must not share answers between
organizations puts its own namespace in front of it.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from scrapeflow.engine.llm.schema import Row
from scrapeflow.workflow.nodes import LlmField

# Part of every key: bump it when the prompt or the answer's shape changes, so old answers are not reused.
PROMPT_VERSION = "1"


def content_hash(markdown: str) -> str:
    return hashlib.sha256(markdown.encode()).hexdigest()


def cache_key(markdown: str, fields: Sequence[LlmField], instructions: str | None, model: str) -> str:
    material = {
        "version": PROMPT_VERSION,
        "content": content_hash(markdown),
        "fields": [spec.model_dump(mode="json") for spec in fields],
        "instructions": instructions or "",
        "model": model,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    """The model's rows for one page (as the model gave them: conversion re-runs against the page's URL)."""

    rows: list[Row]
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CachedAnswer:
        return cls(
            rows=list(data.get("rows", [])),
            model=str(data.get("model", "")),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
        )


class LlmCache(Protocol):
    async def get(self, key: str) -> CachedAnswer | None: ...

    async def set(self, key: str, answer: CachedAnswer) -> None: ...


class InMemoryLlmCache:
    """A bounded, least-recently-used cache in this process: for tests, test runs and single runs."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._answers: OrderedDict[str, CachedAnswer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    async def get(self, key: str) -> CachedAnswer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    async def set(self, key: str, answer: CachedAnswer) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)
