"""The bots and calls the pipeline's result tests share: the test shop's product cards as rows."""

from __future__ import annotations

import itertools
from typing import Any

import httpx


def card_fields(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": "title", "selector": "h2"},
        {"name": "price", "selector": ".price", "type": "price"},
        *extra,
    ]


def workflow(urls: list[str], fields: list[dict[str, Any]], *post: dict[str, Any]) -> dict[str, Any]:
    """Start → a list extract of the product cards → the post steps given → dedupe by title."""
    nodes = [
        {"id": "start", "type": "start", "data": {"urls": urls}},
        {
            "id": "cards",
            "type": "extract",
            "data": {"mode": "list", "item_selector": ".product-card", "fields": fields},
        },
        *post,
        {"id": "unique", "type": "dedupe", "data": {"keys": ["title"]}},
    ]
    ids = [str(node["id"]) for node in nodes]
    return {"nodes": nodes, "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)]}


def list_pages(shop: str, *numbers: int) -> list[str]:
    return [f"{shop}/products?page={n}" for n in numbers]


async def execute(api: httpx.AsyncClient, headers: dict[str, str], bot_id: str) -> str:
    started = await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    assert started.status_code == 202, started.text
    return str(started.json()["id"])
