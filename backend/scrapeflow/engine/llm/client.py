"""Asking an OpenAI-compatible chat-completions server for a page's rows, through the openai SDK.

One page may take several requests: long pages go in parts (merged afterwards), an answer that
is not JSON fitting the fields is asked for once more with the problem quoted, and an answer cut
off at the model's output limit has its part split in two. Every request's tokens are counted
into the `Usage` given, failed ones included: they cost the same. Failures the user must act on
(HTTP errors, timeouts, refusals, two bad answers in a row) raise `EngineError(LLM_ERROR)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONObject, ResponseFormatJSONSchema

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.llm.chunks import halve, merge_part_rows, split_markdown
from scrapeflow.engine.llm.config import LlmConfig
from scrapeflow.engine.llm.prompt import build_messages, schema_message
from scrapeflow.engine.llm.schema import AnswerError, Row, answer_schema, check_answer
from scrapeflow.engine.llm.transport import guarded_http_client
from scrapeflow.engine.retry import parse_retry_after
from scrapeflow.workflow.nodes import LlmField

PARALLEL_PARTS = 4
MAX_SPLITS = 2  # how often a part whose answer was cut off is halved again


@dataclass
class Usage:
    """Requests and tokens, as the server's `usage` reports them (estimated where a server omits it)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


class _CutOff(Exception):
    """The answer stopped at the model's output limit: the part has too many rows for one answer."""


OPENAI_URL = "https://api.openai.com/v1"


def _refused(config: LlmConfig, exc: EngineError) -> EngineError:
    return EngineError(
        ErrorCode.BLOCKED_BY_POLICY,
        f"The LLM server at {config.server} is on a private or internal network address, which ScrapeFlow does "
        "not call with an organization's key. Use a public address, or ask the administrator to list it in "
        "FETCH_ALLOWLIST.",
        detail=exc.message,
    )


def _error(exc: openai.OpenAIError, config: LlmConfig, model: str) -> EngineError:
    where = config.server
    guarded = exc.__cause__
    if isinstance(guarded, EngineError) and guarded.code is ErrorCode.BLOCKED_BY_POLICY:
        return _refused(config, guarded)  # the address changed after the first check (DNS rebinding)
    if isinstance(exc, openai.APITimeoutError):
        return EngineError(
            ErrorCode.LLM_ERROR,
            f"The AI model {model} at {where} did not answer within {config.timeout_seconds:g} s. "
            "Try again later, or raise LLM_TIMEOUT_SECONDS.",
            retryable=True,
        )
    if isinstance(exc, openai.APIConnectionError):
        return EngineError(
            ErrorCode.LLM_ERROR, f"Could not reach the LLM server at {where}. Check OPENAI_BASE_URL.", retryable=True
        )
    if not isinstance(exc, openai.APIStatusError):
        return EngineError(ErrorCode.LLM_ERROR, f"The LLM request failed: {exc}.", detail=repr(exc))
    status, detail = exc.status_code, exc.message
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        message = f"The LLM server at {where} refused the API key (HTTP {status}). Check the key in the settings."
        return EngineError(ErrorCode.LLM_ERROR, message, status=status, detail=detail)
    if isinstance(exc, openai.NotFoundError):
        message = f"The model {model} was not found at {where} (HTTP 404). Check the model name."
        return EngineError(ErrorCode.LLM_ERROR, message, status=status, detail=detail)
    if isinstance(exc, openai.RateLimitError):
        if exc.code == "insufficient_quota":
            message = f"The LLM account at {where} has run out of credit (HTTP 429). Add credit or use another key."
            return EngineError(ErrorCode.LLM_ERROR, message, status=status, detail=detail)
        return EngineError(
            ErrorCode.LLM_ERROR,
            f"The LLM server at {where} is limiting requests (HTTP 429). Try again later or lower the concurrency.",
            status=status,
            retryable=True,
            retry_after=parse_retry_after(exc.response.headers.get("retry-after")),
            detail=detail,
        )
    if status >= 500:
        message = f"The LLM server at {where} failed (HTTP {status}). Try again later."
        return EngineError(ErrorCode.LLM_ERROR, message, status=status, retryable=True, detail=detail)
    message = f"The LLM server at {where} rejected the request (HTTP {status}): {detail}"
    return EngineError(ErrorCode.LLM_ERROR, message, status=status, detail=detail)


def _unsupported(exc: openai.BadRequestError, *words: str) -> bool:
    text = f"{exc.message} {exc.param or ''}".lower()
    return any(word in text for word in words)


class LlmClient:
    """One AsyncOpenAI client (pooled connections) for an execution; `aclose()` when done."""

    def __init__(self, config: LlmConfig) -> None:
        self.config = config
        # A tenant's server: every connection resolves and vets its address itself, as the engine's fetcher does.
        http_client = guarded_http_client(config.guard, config.timeout_seconds) if config.guard is not None else None
        self._openai = openai.AsyncOpenAI(
            api_key=config.api_key,
            base_url=config.base_url or None,
            timeout=config.timeout_seconds,
            max_retries=config.max_retries,
            http_client=http_client,
        )
        self._vetted = config.guard is None
        # What this server accepts, learned from its 400s: some lack strict schemas or `temperature`.
        self._structured = config.structured_output
        self._temperature = config.temperature

    async def aclose(self) -> None:
        await self._openai.close()

    async def _vet(self) -> None:
        """Refuse a guarded server on a private address once, up front, rather than after the SDK's retries."""
        if self._vetted or self.config.guard is None:
            return
        guard = self.config.guard
        try:
            await guard.check_resolved(guard.check_url(self.config.base_url or OPENAI_URL))
        except EngineError as exc:
            if exc.code is ErrorCode.BLOCKED_BY_POLICY:
                raise _refused(self.config, exc) from None
            raise EngineError(
                ErrorCode.LLM_ERROR,
                f"Could not reach the LLM server at {self.config.server}: {exc.message}",
                retryable=exc.retryable,
            ) from None
        self._vetted = True

    async def _create(self, messages: list[ChatCompletionMessageParam], schema: dict[str, Any], model: str) -> Any:
        response_format: ResponseFormatJSONSchema | ResponseFormatJSONObject = (
            {"type": "json_schema", "json_schema": {"name": "rows", "schema": schema, "strict": True}}
            if self._structured == "json_schema"
            else {"type": "json_object"}
        )
        extra: dict[str, Any] = {} if self._temperature is None else {"temperature": self._temperature}
        sent = messages if self._structured == "json_schema" else [*messages[:1], schema_message(schema), *messages[1:]]
        try:
            return await self._openai.chat.completions.create(
                model=model, messages=sent, response_format=response_format, **extra
            )
        except openai.BadRequestError as exc:
            if self._structured == "json_schema" and _unsupported(exc, "response_format", "json_schema"):
                self._structured = "json_object"
            elif self._temperature is not None and _unsupported(exc, "temperature"):
                self._temperature = None
            else:
                raise
        return await self._create(messages, schema, model)

    async def _ask(
        self, messages: list[ChatCompletionMessageParam], schema: dict[str, Any], model: str
    ) -> ChatCompletion:
        try:
            completion: ChatCompletion = await self._create(messages, schema, model)
        except openai.OpenAIError as exc:
            raise _error(exc, self.config, model) from exc
        return completion

    async def _part(
        self, fields: Sequence[LlmField], text: str, url: str, where: tuple[int, int], context: _Request
    ) -> list[Row]:
        messages = build_messages(
            fields,
            text,
            url=url,
            instructions=context.instructions,
            part=where[0],
            parts=where[1],
        )
        schema = answer_schema(fields)
        for attempt in (1, 2):
            completion = await self._ask(messages, schema, context.model)
            context.count(completion, messages)
            choice = completion.choices[0] if completion.choices else None
            if choice is None:
                content, problem = "", AnswerError("Your answer had no message.")
            else:
                if choice.message.refusal:
                    raise EngineError(
                        ErrorCode.LLM_ERROR,
                        f"The model refused to extract this page: {choice.message.refusal}",
                        detail=choice.message.refusal,
                    )
                if choice.finish_reason == "content_filter":
                    message = "The model's content filter stopped its answer for this page. Try another model."
                    raise EngineError(ErrorCode.LLM_ERROR, message)
                if choice.finish_reason == "length":
                    raise _CutOff
                content = choice.message.content or ""
                try:
                    return check_answer(content, fields, url)
                except AnswerError as exc:
                    problem = exc
            if attempt == 2:
                raise EngineError(
                    ErrorCode.LLM_ERROR,
                    f"The model's answer did not fit the fields twice in a row: {problem} "
                    "Try another model, or clearer field names and descriptions.",
                    detail=content[:1000],
                )
            messages = [
                *messages,
                {"role": "assistant", "content": content},
                {"role": "user", "content": f"{problem} Answer again with JSON only, following the fields."},
            ]
        raise AssertionError("unreachable")

    async def _part_or_halves(
        self, fields: Sequence[LlmField], text: str, url: str, where: tuple[int, int], context: _Request, splits: int
    ) -> list[Row]:
        try:
            return await self._part(fields, text, url, where, context)
        except _CutOff:
            halves = halve(text)
            if splits >= MAX_SPLITS or len(halves) < 2:
                raise EngineError(
                    ErrorCode.LLM_ERROR,
                    "The model's answer was cut off at its output limit. Use a model with a larger output, "
                    "or fewer fields.",
                ) from None
        rows = [await self._part_or_halves(fields, half, url, where, context, splits + 1) for half in halves]
        return merge_part_rows(rows)

    async def extract(
        self,
        fields: Sequence[LlmField],
        markdown: str,
        *,
        url: str,
        usage: Usage,
        instructions: str | None = None,
        model: str | None = None,
    ) -> list[Row]:
        """The page's rows, values as the model gave them (checked against the fields, not yet converted)."""
        await self._vet()
        parts = split_markdown(markdown, self.config.chunk_tokens)
        if len(parts) > self.config.max_chunks:
            raise EngineError(
                ErrorCode.LLM_ERROR,
                f"The page is too long for AI extraction: {len(parts)} parts of {self.config.chunk_tokens} tokens, "
                f"more than {self.config.max_chunks}. Extract it with selectors, or narrow it with page steps.",
            )
        context = _Request(model or self.config.model, instructions, usage)
        gate = asyncio.Semaphore(PARALLEL_PARTS)

        async def one(index: int, text: str) -> list[Row]:
            async with gate:
                return await self._part_or_halves(fields, text, url, (index + 1, len(parts)), context, 0)

        if len(parts) == 1:
            return await one(0, parts[0])
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(index, text)) for index, text in enumerate(parts)]
        except ExceptionGroup as failed:  # the first part's failure stands for the page (the others are cancelled)
            raise failed.exceptions[0] from None
        return merge_part_rows([task.result() for task in tasks])


@dataclass
class _Request:
    model: str
    instructions: str | None
    usage: Usage

    def count(self, completion: ChatCompletion, messages: list[ChatCompletionMessageParam]) -> None:
        self.usage.calls += 1
        if completion.usage is not None:
            self.usage.prompt_tokens += completion.usage.prompt_tokens
            self.usage.completion_tokens += completion.usage.completion_tokens
            return
        sent = sum(len(str(message.get("content", ""))) for message in messages)
        received = sum(len(choice.message.content or "") for choice in completion.choices)
        self.usage.prompt_tokens += -(-sent // 4)
        self.usage.completion_tokens += -(-received // 4)
