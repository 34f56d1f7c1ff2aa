"""HTTP endpoints for the bot language: the node catalogue."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from scrapeflow.workflow.nodes import BROWSER_ONLY, NODE_TYPES
from scrapeflow.workflow.schemas import NodeTypeInfo

router = APIRouter(prefix="/workflow", tags=["workflow"])


@cache
def _catalogue() -> list[NodeTypeInfo]:
    return [
        NodeTypeInfo(
            type=node.name,
            category=node.stage,
            title=node.title,
            description=node.description,
            needs_browser=node.name in BROWSER_ONLY,
            data_schema=node.data.model_json_schema(),
            example=node.example,
        )
        for node in NODE_TYPES.values()
    ]


@router.get("/node-types", summary="The node types a workflow may use, with their JSON Schemas")
async def list_node_types() -> list[NodeTypeInfo]:
    """Public: the editor draws its palette and property forms from this."""
    return _catalogue()
