"""What an execution's LLM pages share (client, cache, learned selectors, cost cap, totals), and what each returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from scrapeflow.engine.llm.cache import InMemoryLlmCache, LlmCache
from scrapeflow.engine.llm.client import LlmClient, Usage
from scrapeflow.engine.llm.config import LlmConfig, Payer
from scrapeflow.engine.llm.schema import Row
from scrapeflow.engine.llm.selectors import InMemorySelectorStore, LearnedSelectors, SelectorKey, SelectorStore

FieldPath = Literal["selector", "llm", "cache", "deterministic", "none"]


@dataclass
class UsageTotals:
    """Summed over the pages of one execution (or one test run)."""

    pages: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_hits: int = 0
    selector_pages: int = 0  # pages whose every field came from learned selectors: no tokens
    deterministic_pages: int = 0


@dataclass(frozen=True)
class LlmCharge:
    """What a page's LLM calls spent, and whose key paid for them (usage is counted against that key)."""

    paid_by: Payer
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "paid_by": self.paid_by,
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass
class LlmContext:
    """One per execution: pass the same context to every page so the client, cache and totals are shared.

    `config` None means no key is configured: extraction is deterministic. `selector_key` is
    (bot id, node id): where learned selectors are loaded from and saved to. `max_cost_usd` caps
    the execution's LLM spending (a page that would pass it fails with QUOTA_EXCEEDED).
    """

    config: LlmConfig | None = None
    cache: LlmCache = field(default_factory=InMemoryLlmCache)
    selectors: SelectorStore = field(default_factory=InMemorySelectorStore)
    selector_key: SelectorKey = ("", "")
    learn_selectors: bool = True
    max_cost_usd: float | None = None
    totals: UsageTotals = field(default_factory=UsageTotals)
    _client: LlmClient | None = field(default=None, init=False, repr=False)

    def client(self) -> LlmClient:
        if self.config is None:
            raise RuntimeError("no LLM is configured")
        if self._client is None:
            self._client = LlmClient(self.config)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> LlmContext:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    def cost(self, model: str, usage: Usage) -> float | None:
        """What `usage` cost in US dollars; None when nobody priced the model."""
        price = self.config.price(model) if self.config else None
        return None if price is None else price.cost(usage.prompt_tokens, usage.completion_tokens)


@dataclass
class LlmPageResult:
    """One page's rows and how each field got its values.

    `paths[field]` is "selector" (learned selectors, no tokens), "llm" (asked the model),
    "cache" (the model's earlier answer for the same content), "deterministic" (structured data
    or labels, no LLM configured) or "none" (nothing found: `notes[field]` says what was tried).
    """

    rows: list[Row] = field(default_factory=list)
    paths: dict[str, FieldPath] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    llm_used: bool = False
    cached: bool = False
    model: str | None = None
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    paid_by: Payer | None = None
    """Whose key the calls spent; None when the page made none (selectors, cache, deterministic)."""
    learned: list[str] = field(default_factory=list)  # fields whose selectors were (re)learned on this page
    selectors: LearnedSelectors | None = None  # the node's selectors after this page
    log: list[str] = field(default_factory=list)

    @property
    def charge(self) -> LlmCharge | None:
        """The page's LLM spending; None when it called no LLM."""
        if self.paid_by is None:
            return None
        return LlmCharge(self.paid_by, self.llm_calls, self.prompt_tokens, self.completion_tokens, self.cost_usd)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest for logs and test runs."""
        return {
            "paths": dict(self.paths),
            "notes": dict(self.notes),
            "llm_used": self.llm_used,
            "cached": self.cached,
            "model": self.model,
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "paid_by": self.paid_by,
            "learned": list(self.learned),
            "log": list(self.log),
        }
