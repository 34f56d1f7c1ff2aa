"""API bodies for the node catalogue and workflow validation."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from scrapeflow.kit.schemas import InputSchema, Schema
from scrapeflow.workflow.nodes import Stage


class NodeTypeInfo(Schema):
    type: str
    category: Stage = Field(description="source, page, post or sink; edges may only go forward in this order.")
    title: str
    description: str
    needs_browser: bool
    data_schema: dict[str, Any] = Field(description="JSON Schema of the node's `data`.")
    example: dict[str, Any]


class ValidationIssue(Schema):
    node_id: str | None
    field: str | None
    code: str
    message: str


class WorkflowValidate(InputSchema):
    workflow_json: dict[str, Any]


class WorkflowValidation(Schema):
    valid: bool
    issues: list[ValidationIssue]
    needs_browser: bool = False
    uses_llm: bool = False
