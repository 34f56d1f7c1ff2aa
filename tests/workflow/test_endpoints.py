from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from tests.factories import START_URL, make_user


async def test_node_types_are_public_and_carry_schemas(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/workflow/node-types")
    assert response.status_code == 200
    catalogue = {item["type"]: item for item in response.json()}
    assert {"start", "map", "extract", "paginate", "llm_extract", "dedupe", "export_webhook"} <= set(catalogue)
    extract = catalogue["extract"]
    assert extract["category"] == "page"
    assert extract["title"] and extract["description"] and extract["example"]["fields"]
    assert "fields" in extract["data_schema"]["properties"]
    assert catalogue["click"]["needs_browser"] is True
    assert catalogue["start"]["category"] == "source"
    assert catalogue["export_sheets"]["category"] == "sink"


async def test_validate_returns_issues_and_bots_refuse_invalid_workflows(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    bad = {
        "nodes": [
            {"id": "s", "type": "start", "data": {"urls": [START_URL]}},
            {
                "id": "x",
                "type": "extract",
                "data": {"fields": [{"name": "t", "selector": "h1[", "selector_type": "css"}]},
            },
        ],
        "edges": [{"source": "s", "target": "x"}],
    }
    checked = await client.post("/api/v1/bots/validate", json={"workflow_json": bad}, headers=owner.headers)
    assert checked.status_code == 200
    body = checked.json()
    assert body["valid"] is False
    assert body["issues"] == [
        {
            "node_id": "x",
            "field": "fields.0.selector",
            "code": "invalid_field",
            "message": "'h1[' is not a valid CSS selector (Expected ident or '*', got <EOF at 3>).",
        }
    ]

    refused = await client.post("/api/v1/bots", json={"name": "b", "workflow_json": bad}, headers=owner.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_workflow"
    assert refused.json()["error"]["details"]["issues"] == body["issues"]

    good = {
        **bad,
        "nodes": [bad["nodes"][0], {**bad["nodes"][1], "data": {"fields": [{"name": "t", "selector": "h1"}]}}],
    }
    assert (await client.post("/api/v1/bots/validate", json={"workflow_json": good}, headers=owner.headers)).json()[
        "valid"
    ]
    created = await client.post("/api/v1/bots", json={"name": "b", "workflow_json": good}, headers=owner.headers)
    assert created.status_code == 201
    update = await client.put(
        f"/api/v1/bots/{created.json()['id']}", json={"workflow_json": bad}, headers=owner.headers
    )
    assert update.status_code == 422
    assert update.json()["error"]["details"]["issues"][0]["node_id"] == "x"
    still = await client.get(f"/api/v1/bots/{created.json()['id']}", headers=owner.headers)
    assert still.json()["version"] == 1
