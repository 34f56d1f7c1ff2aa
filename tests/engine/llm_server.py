"""A local chat-completions server for the LLM tests and the token benchmark.

It speaks the OpenAI API closely enough for the real `openai` SDK, and "reads" the test shop's
pages the way a model would: from the markdown between <page> and </page> in the prompt, with
regular expressions that know the shop's layout (a product page, or a list of product cards).
It answers only the fields the request's JSON Schema (or, in JSON-object mode, the prompt's
field list) asks for. `script` makes the next requests misbehave: HTTP errors, slowness,
malformed JSON, answers that do not fit the schema, refusals, cut-off answers.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scrapeflow.engine.extraction.values import parse_number, parse_price
from tests.site.server import serve_site

_PAGE = re.compile(r"<page>\n(.*?)\n</page>", re.DOTALL)
_FIELD_LINE = re.compile(r"^- (?P<name>[^\s(]+) \(", re.MULTILINE)
_CARD = re.compile(r"^(?:- )?#{2,4} \[(?P<title>[^\]]+)\]\((?P<url>[^)]+)\)", re.MULTILINE)
_PRICE = re.compile(r"(?:[$€]\s?\d[\d,.]*\d|\d[\d.,]*\d\s?€)")
_RATING = re.compile(r"(\d\.\d) out of 5")
_REVIEWS = re.compile(r"(\d+) (?:customers reviewed|reviews\))")
_ALIASES = {"name": "title", "product": "title", "link": "url", "stock": "in_stock", "available": "in_stock"}
_ALIASES |= {"review_count": "reviews", "cost": "price"}


def _facts(text: str) -> dict[str, Any]:
    """What a product's markdown says: a product page, or one card of a list page."""
    facts: dict[str, Any] = {}
    if card := _CARD.search(text):
        facts["title"], facts["url"] = card.group("title"), card.group("url")
    elif heading := re.search(r"^# (.+)$", text, re.MULTILINE):
        facts["title"] = heading.group(1).strip()
    if brand := re.search(r"^by (.+)$", text, re.MULTILINE):
        facts["brand"] = brand.group(1).strip()
    if price := _PRICE.search(text):
        amount, currency = parse_price(price.group(0))
        facts["price"], facts["currency"] = amount, currency
    if old := re.search(r"~~(.+?)~~", text):
        facts["old_price"] = parse_number(old.group(1))
    if rating := _RATING.search(text):
        facts["rating"] = float(rating.group(1))
    if reviews := _REVIEWS.search(text):
        facts["reviews"] = int(reviews.group(1))
    if "Out of stock" in text:
        facts["in_stock"] = False
    elif "In stock" in text:
        facts["in_stock"] = True
    if sku := re.search(r"^SKU\n:\s+(\S+)", text, re.MULTILINE):
        facts["sku"] = sku.group(1)
    if category := re.search(r"^Category\n:\s+(.+)$", text, re.MULTILINE):
        facts["category"] = category.group(1).strip()
    return facts


def read_page(markdown: str) -> list[dict[str, Any]]:
    """The products a page (or part of one) shows, in order."""
    starts = [match.start() for match in _CARD.finditer(markdown)]
    if not starts:
        facts = _facts(markdown)
        return [facts] if facts else []
    bounds = [*starts, len(markdown)]
    return [_facts(markdown[bounds[i] : bounds[i + 1]]) for i in range(len(starts))]


def _requested_fields(body: dict[str, Any]) -> list[str]:
    schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
    if schema:
        return list(schema["properties"]["rows"]["items"]["properties"])
    prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return _FIELD_LINE.findall(prompt.split("<page>")[0])


class FakeLlm:
    """The server's state: requests seen, and the misbehaviours queued for the next ones."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[str] = []
        self.slow_seconds = 2.0
        self.reject_json_schema = False

    @property
    def calls(self) -> int:
        return len(self.requests)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        page_message = next(m["content"] for m in body["messages"] if m["role"] == "user")
        match = _PAGE.search(page_message)
        fields = _requested_fields(body)
        products = read_page(match.group(1) if match else "")
        rows = [{name: facts.get(_ALIASES.get(name, name)) for name in fields} for facts in products]
        return {"rows": rows}

    async def completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        behaviour = self.script.pop(0) if self.script else "ok"
        if behaviour in ("500", "429", "401", "404"):
            error = {"message": f"scripted {behaviour}", "type": "test", "code": None}
            headers = {"retry-after": "0"} if behaviour == "429" else {}
            return JSONResponse({"error": error}, status_code=int(behaviour), headers=headers)
        if self.reject_json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            error = {"message": "response_format json_schema is not supported", "param": "response_format"}
            return JSONResponse({"error": error}, status_code=400)
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        content = json.dumps(self.answer(body), ensure_ascii=False)
        refusal, finish = None, "stop"
        if behaviour == "malformed":
            content = content[: len(content) // 2]
        elif behaviour == "nonsense":
            content = json.dumps({"rows": [dict.fromkeys(_requested_fields(body), "cheap")]})
        elif behaviour == "refusal":
            content, refusal = "", "I can't help with that."
        elif behaviour == "cut_off":
            content, finish = content[: len(content) // 2], "length"
        return JSONResponse(self.completion(body, content, refusal, finish))

    def completion(self, body: dict[str, Any], content: str, refusal: str | None, finish: str) -> dict[str, Any]:
        sent = sum(len(str(message.get("content", ""))) for message in body["messages"])
        return {
            "id": f"chatcmpl-{self.calls}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": finish,
                }
            ],
            # Tokens estimated like the engine does (4 characters each): the figures tests and bench compare.
            "usage": {
                "prompt_tokens": -(-sent // 4),
                "completion_tokens": -(-len(content) // 4),
                "total_tokens": -(-sent // 4) + -(-len(content) // 4),
            },
        }

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])


@contextmanager
def serve_llm(fake: FakeLlm | None = None) -> Iterator[tuple[FakeLlm, str]]:
    """The fake server on a free loopback port; yields it and its base URL (ending in /v1)."""
    fake = fake or FakeLlm()
    with serve_site(fake.app()) as base:
        yield fake, f"{base}/v1"
