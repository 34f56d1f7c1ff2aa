"""How to reach the LLM (any OpenAI-compatible server) and what its tokens cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from scrapeflow.engine.ssrf import SsrfGuard

if TYPE_CHECKING:
    from scrapeflow.config import Settings

DEFAULT_MODEL = "gpt-4o-mini"

Payer = Literal["organization", "server"]
"""Whose key an LLM call spends: the organization's own ("bring your own key") or the server's."""


@dataclass(frozen=True)
class ModelPrice:
    """US dollars per million tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1_000_000


# List prices of common models; a dated snapshot ("gpt-4o-mini-2024-07-18") or a router's
# provider prefix ("openai/gpt-4o-mini") finds its family by the longest matching name.
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "gpt-4o": ModelPrice(2.50, 10.00),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1": ModelPrice(2.00, 8.00),
    "gpt-5-nano": ModelPrice(0.05, 0.40),
    "gpt-5-mini": ModelPrice(0.25, 2.00),
    "gpt-5": ModelPrice(1.25, 10.00),
    "o4-mini": ModelPrice(1.10, 4.40),
    "o3-mini": ModelPrice(1.10, 4.40),
    "o3": ModelPrice(2.00, 8.00),
    "claude-3-5-haiku": ModelPrice(0.80, 4.00),
    "claude-3.5-haiku": ModelPrice(0.80, 4.00),
    "claude-sonnet-4": ModelPrice(3.00, 15.00),
    "gemini-2.0-flash": ModelPrice(0.10, 0.40),
    "gemini-2.5-flash": ModelPrice(0.30, 2.50),
    "llama-3.1-8b-instruct": ModelPrice(0.02, 0.05),
}


def price_for(model: str, overrides: Mapping[str, ModelPrice] | None = None) -> ModelPrice | None:
    """The price of `model`: an override first, then the table; None for a model nobody priced."""
    table = {
        **{k.lower(): v for k, v in DEFAULT_PRICES.items()},
        **{k.lower(): v for k, v in (overrides or {}).items()},
    }
    name = model.lower()
    for candidate in (name, name.rsplit("/", 1)[-1]):
        if candidate in table:
            return table[candidate]
        for known in sorted(table, key=len, reverse=True):
            if candidate.startswith(known):
                return table[known]
    return None


@dataclass(frozen=True)
class LlmConfig:
    """One OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM, Ollama…) and how to use it.

    `max_retries` are the SDK's own retries of connection errors, 429 and 5xx (with backoff,
    honouring Retry-After); `chunk_tokens` bounds the page text sent in one request (estimated at
    four characters a token), `max_chunks` the requests for one page. `structured_output` asks for
    strict JSON Schema output; servers that refuse it are asked for a JSON object instead.
    `prices` add to or override `DEFAULT_PRICES`; `default_price` prices models neither names
    (None: their cost is reported as unknown, and counted as 0).
    `paid_by` says whose key this is, for usage accounting. `guard`, when set, vets the server's address
    before the first request and at every connection (DNS rebinding included): set it when a tenant chose
    the base URL, so an organization's key cannot make the server call into its own network.
    """

    api_key: str
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_seconds: float = 60.0
    max_retries: int = 2
    chunk_tokens: int = 12_000
    max_chunks: int = 12
    temperature: float | None = 0.0
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    default_price: ModelPrice | None = None
    paid_by: Payer = "server"
    guard: SsrfGuard | None = None

    def price(self, model: str) -> ModelPrice | None:
        return price_for(model, self.prices) or self.default_price

    @property
    def server(self) -> str:
        """Where requests go, for messages: the base URL, or OpenAI."""
        return self.base_url or "OpenAI"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        api_key: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
    ) -> LlmConfig | None:
        """The server's LLM settings, with an organization's or bot's own key, model or URL on top.

        None when no key is configured anywhere: extraction is then deterministic.
        """
        key = api_key or settings.openai_api_key
        if not key:
            return None
        return cls(
            api_key=key,
            model=model or settings.openai_model or DEFAULT_MODEL,
            base_url=base_url or settings.openai_base_url or None,
            timeout_seconds=settings.llm_timeout_seconds,
        )
