"""Exports through real worker and beat processes on both brokers: deliveries retried until the receiver is
up (each message processed once), a failed export that leaves the scrape's status alone, sending again, and
rows held for review."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from tests.exports.receivers import Receiver, serving
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.pipeline.test_results import all_rows, execute

SLACK_TOKEN = "T0001/B0001/s3cr3tSlackToken"
QUICK_RETRIES = {"WEBHOOK_RETRY_BASE_SECONDS": "0.5", "EXPORT_BATCH_ROWS": "10"}


def exporting(shop: str, *sinks: dict[str, Any]) -> dict[str, Any]:
    """Start → the first list page's 24 product cards → each export step (fanned out)."""
    nodes = [
        {"id": "start", "type": "start", "data": {"urls": [f"{shop}/products?page=1"]}},
        {
            "id": "cards",
            "type": "extract",
            "data": {
                "mode": "list",
                "item_selector": ".product-card",
                "fields": [
                    {"name": "title", "selector": "h2"},
                    {"name": "price", "selector": ".price", "type": "price"},
                ],
            },
        },
        *({"id": f"sink{n}", **sink} for n, sink in enumerate(sinks)),
    ]
    edges = [{"source": "start", "target": "cards"}] + [
        {"source": "cards", "target": f"sink{n}"} for n in range(len(sinks))
    ]
    return {"nodes": nodes, "edges": edges}


async def settled(
    api: httpx.AsyncClient, headers: dict[str, str], execution_id: str, count: int, processes: Processes
) -> list[dict[str, Any]]:
    """The execution's deliveries once `count` of them are delivered or failed for good."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = (await api.get(f"/api/v1/executions/{execution_id}/deliveries", headers=headers)).json()["items"]
        if sum(item["status"] in ("delivered", "failed") for item in items) >= count:
            return list(items)
        await asyncio.sleep(0.2)
    raise AssertionError(f"deliveries not settled: {items}\n{processes.output()}")


async def test_deliveries_are_retried_until_the_receiver_is_up_and_each_message_is_processed_once(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    processes.env = QUICK_RETRIES
    processes.worker()
    processes.start("beat")
    headers = await sign_up(api)
    shown: list[str] = []
    with serving(Receiver(fail_first=2)) as receiver, serving(Receiver()) as slack_receiver:
        hook = await api.post("/api/v1/exports/webhook", json={"name": "Hook", "url": receiver.url}, headers=headers)
        secret = hook.json()["signing_secret"]
        slack = await api.post(
            "/api/v1/exports/slack",
            json={"name": "Team", "webhook_url": f"{slack_receiver.url}/{SLACK_TOKEN}"},
            headers=headers,
        )
        sinks = [
            {"type": "export_webhook", "data": {"destination_id": hook.json()["id"]}},
            {"type": "export_slack", "data": {"destination_id": slack.json()["id"]}},
        ]
        bot_id = await create_bot(api, headers, exporting(shop, *sinks))
        execution = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
        assert execution["status"] == "succeeded", execution
        deliveries = {
            item["destination_id"]: item for item in await settled(api, headers, execution["id"], 2, processes)
        }
        webhook = deliveries[hook.json()["id"]]
        # Attempts 1 and 2 met the receiver down (503) on the first batch; attempt 3 sent the three batches.
        assert (webhook["status"], webhook["attempts"], webhook["rows_sent"], webhook["batches_sent"]) == (
            "delivered",
            3,
            24,
            3,
        ), webhook
        assert deliveries[slack.json()["id"]]["status"] == "delivered"
        assert "24 row(s) (24 new, 0 changed)" in slack_receiver.requests[0].body.decode()
        message = f"msg_{webhook['id'].replace('-', '')}"
        batches = {f"{message}_{n}" for n in (1, 2, 3)}
        assert set(receiver.processed) == batches and set(receiver.processed.values()) == {1}
        assert {key: receiver.answered_ok[key] for key in batches} == dict.fromkeys(batches, 1)
        rows = [Webhook(secret).verify(request.body, request.headers) for request in receiver.requests[2:]]
        assert sum(len(payload["data"]["rows"]) for payload in rows) == 24

        # Sent again on request: the same ids, so the receiver processes nothing twice.
        again = await api.post(
            f"/api/v1/exports/{execution['id']}/send", json={"destination_id": hook.json()["id"]}, headers=headers
        )
        assert again.status_code == 202, again.text
        assert again.json()["id"] == webhook["id"]
        deadline = time.monotonic() + 30
        while sum(receiver.answered_ok[key] for key in batches) < 6:
            assert time.monotonic() < deadline, processes.output()
            await asyncio.sleep(0.2)
        assert {key: receiver.answered_ok[key] for key in batches} == dict.fromkeys(batches, 2)
        assert set(receiver.processed.values()) == {1}

        shown += [hook.text[: hook.text.index("signing_secret")], slack.text]
        for path in (
            f"/api/v1/executions/{execution['id']}",
            f"/api/v1/executions/{execution['id']}/deliveries",
            f"/api/v1/exports/destinations/{hook.json()['id']}/deliveries",
            "/api/v1/exports/destinations",
        ):
            shown.append((await api.get(path, headers=headers)).text)
    shown.append(processes.output())
    for value in (secret, secret.removeprefix("whsec_"), "s3cr3tSlackToken"):
        assert all(value not in text for text in shown)


async def test_an_execution_that_fails_before_scraping_still_tells_its_destinations(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    """A bot that fetches through Firecrawl on a server without it fails in the map stage; the destination
    listening to `execution.failed` still gets the news, with the error."""
    processes.env = QUICK_RETRIES
    processes.worker()
    headers = await sign_up(api)
    with serving(Receiver()) as receiver:
        hook = await api.post("/api/v1/exports/webhook", json={"name": "Hook", "url": receiver.url}, headers=headers)
        sink = {"type": "export_webhook", "data": {"destination_id": hook.json()["id"]}}
        workflow = exporting(shop, sink)
        workflow["nodes"].insert(1, {"id": "map", "type": "map", "data": {"limit": 10}})
        workflow["edges"] = [
            {"source": "start", "target": "map"},
            {"source": "map", "target": "cards"},
            *workflow["edges"][1:],
        ]
        created = await api.post(
            "/api/v1/bots",
            json={"name": "Through Firecrawl", "workflow_json": workflow, "fetch": {"fetcher": "firecrawl"}},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        execution = await wait_for(api, headers, await execute(api, headers, created.json()["id"]), processes)
        assert execution["status"] == "failed", execution
        [delivery] = await settled(api, headers, execution["id"], 1, processes)

    assert delivery["status"] == "delivered", delivery
    assert delivery["event"] == "execution.failed"
    [message] = [json.loads(request.body) for request in receiver.requests]
    assert message["type"] == "execution.failed"
    assert message["data"]["execution"]["status"] == "failed"
    assert "Firecrawl" in message["data"]["execution"]["error_message"]


async def test_a_failed_export_leaves_the_scrape_succeeded_and_can_be_redelivered(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    processes.env = {**QUICK_RETRIES, "WEBHOOK_MAX_ATTEMPTS": "2"}
    processes.worker()
    processes.start("beat")
    headers = await sign_up(api)
    with serving(Receiver(fail_first=2)) as receiver:
        hook = await api.post("/api/v1/exports/webhook", json={"name": "Hook", "url": receiver.url}, headers=headers)
        sink = {"type": "export_webhook", "data": {"destination_id": hook.json()["id"], "rows": "new"}}
        bot_id = await create_bot(api, headers, exporting(shop, sink))
        execution = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
        assert execution["status"] == "succeeded", execution
        (failed,) = await settled(api, headers, execution["id"], 1, processes)
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == ("failed", 2, 503)
        shown = (await api.get(f"/api/v1/executions/{execution['id']}", headers=headers)).json()
        assert shown["status"] == "succeeded"
        assert shown["export_error"] == "Delivery to 'Hook' failed: The receiver answered 503."
        assert any(line["event"] == "delivery_failed" for line in shown["logs"])

        redelivered = await api.post(f"/api/v1/exports/deliveries/{failed['id']}/redeliver", headers=headers)
        assert redelivered.status_code == 202, redelivered.text
        assert redelivered.json()["status"] == "pending" and redelivered.json()["attempts"] == 0
        deadline = time.monotonic() + 30
        while (await api.get(f"/api/v1/executions/{execution['id']}", headers=headers)).json()["export_error"]:
            assert time.monotonic() < deadline, processes.output()
            await asyncio.sleep(0.2)
        (delivered,) = (await api.get(f"/api/v1/executions/{execution['id']}/deliveries", headers=headers)).json()[
            "items"
        ]
        assert (delivered["status"], delivered["rows_sent"], delivered["rows"]) == ("delivered", 24, "new")


async def test_rows_held_for_review_leave_only_once_approved(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    processes.env = QUICK_RETRIES
    processes.worker()
    headers = await sign_up(api)
    with serving(Receiver()) as receiver:
        hook = await api.post("/api/v1/exports/webhook", json={"name": "Hook", "url": receiver.url}, headers=headers)
        sink = {"type": "export_webhook", "data": {"destination_id": hook.json()["id"]}}
        made = await api.post(
            "/api/v1/bots",
            json={"name": "reviewed", "workflow_json": exporting(shop, sink), "review_before_export": True},
            headers=headers,
        )
        assert made.json()["review_before_export"] is True
        execution_id = await execute(api, headers, made.json()["id"])
        held = await wait_for(
            api, headers, execution_id, processes, statuses={"awaiting_review", "succeeded", "failed"}
        )
        assert held["status"] == "awaiting_review", held
        review = f"/api/v1/executions/{execution_id}/review"
        assert (await api.get(review, headers=headers)).json() == {
            "execution_id": execution_id,
            "status": "awaiting_review",
            "pending": 24,
            "approved": 0,
            "rejected": 0,
        }
        rows = await all_rows(api, headers, f"/api/v1/executions/{execution_id}/result")
        assert {row["review_status"] for row in rows} == {"pending"}
        chosen = [rows[0]["id"], rows[5]["id"]]
        approved = await api.post(review, json={"decision": "approve", "row_ids": chosen}, headers=headers)
        assert approved.json()["pending"] == 22 and approved.json()["status"] == "awaiting_review"
        stranger = await api.post(review, json={"decision": "approve", "row_ids": [execution_id]}, headers=headers)
        assert (stranger.status_code, stranger.json()["error"]["code"]) == (422, "unknown_rows")
        assert receiver.requests == []
        rest = await api.post(review, json={"decision": "reject"}, headers=headers)
        assert rest.json() == {
            "execution_id": execution_id,
            "status": "running",
            "pending": 0,
            "approved": 2,
            "rejected": 22,
        }
        done = await wait_for(api, headers, execution_id, processes)
        assert done["status"] == "succeeded", done
        (delivery,) = await settled(api, headers, execution_id, 1, processes)
        assert (delivery["status"], delivery["rows_sent"]) == ("delivered", 2)
        late = await api.post(review, json={"decision": "approve"}, headers=headers)
        assert (late.status_code, late.json()["error"]["code"]) == (409, "not_in_review")
    sent = Webhook(hook.json()["signing_secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert sorted(row["key"] for row in sent["data"]["rows"]) == sorted(
        row["row_key"] for row in rows if row["id"] in chosen
    )
