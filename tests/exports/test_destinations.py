"""Destinations through the API: secrets shown once and never again (responses and logs), bad input refused
with clear 4xx answers, changes, and test sends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.models import ExportDestination
from tests.exports.receivers import Receiver, serving
from tests.pipeline.conftest import sign_up

SLACK_TOKEN = "T0001/B0001/s3cr3tSlackToken"
PRIVATE_KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
KEY_LINE = PRIVATE_KEY.splitlines()[1]
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "shop-exports",
    "private_key": PRIVATE_KEY,
    "client_email": "exports@shop-exports.iam.gserviceaccount.com",
    "token_uri": "https://oauth2.googleapis.com/token",
}
SHEET_URL = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0"


async def sealed_values(settings: Settings) -> list[str]:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        values = list(await session.scalars(select(ExportDestination.secret_encrypted)))
    await engine.dispose()
    return [value for value in values if value]


async def test_credentials_are_shown_once_and_never_again(
    api: httpx.AsyncClient, pipeline_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = await sign_up(api)
    answers: list[httpx.Response] = []
    with serving(Receiver()) as receiver:
        hook = await api.post("/api/v1/exports/webhook", json={"name": "Hook", "url": receiver.url}, headers=headers)
        assert hook.status_code == 201, hook.text
        secret = hook.json()["signing_secret"]
        assert secret.startswith("whsec_") and len(secret) > 40
        slack = await api.post(
            "/api/v1/exports/slack",
            json={"name": "Team", "webhook_url": f"{receiver.url}/{SLACK_TOKEN}", "events": ["execution.failed"]},
            headers=headers,
        )
        sheet = await api.post(
            "/api/v1/exports/google-sheets",
            json={
                "name": "Sheet",
                "spreadsheet": SHEET_URL,
                "mode": "upsert",
                "key_column": "url",
                "credentials": SERVICE_ACCOUNT,
            },
            headers=headers,
        )
        answers += [slack, sheet]
        assert (slack.status_code, sheet.status_code) == (201, 201), (slack.text, sheet.text)
        assert slack.json()["config"] == {"host": "127.0.0.1", "events": ["execution.failed"]}
        assert sheet.json()["config"] == {
            "spreadsheet_id": "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "worksheet": "Sheet1",
            "mode": "upsert",
            "key_column": "url",
            "auth": "service_account",
            "account": SERVICE_ACCOUNT["client_email"],
            "events": ["execution.succeeded"],
        }
        hook_id = hook.json()["id"]
        answers.append(await api.get("/api/v1/exports/destinations", headers=headers))
        assert len(answers[-1].json()["items"]) == 3
        answers.append(
            await api.put(f"/api/v1/exports/destinations/{hook_id}", json={"name": "Renamed"}, headers=headers)
        )
        assert answers[-1].json()["name"] == "Renamed"
        answers.append(await api.post(f"/api/v1/exports/destinations/{hook_id}/test", headers=headers))
        answers.append(await api.post(f"/api/v1/exports/destinations/{slack.json()['id']}/test", headers=headers))
    assert [answer.json()["ok"] for answer in answers[-2:]] == [True, True], [a.text for a in answers[-2:]]
    (sample, notice) = receiver.requests
    assert sample.headers["webhook-id"].startswith("msg_test_")
    assert "Sample bot" in notice.body.decode()

    shown = "\n".join(answer.text for answer in answers) + capsys.readouterr().out + capsys.readouterr().err
    for value in (secret, secret.removeprefix("whsec_"), SLACK_TOKEN, "s3cr3tSlackToken", KEY_LINE):
        assert value not in shown
    sealed = await sealed_values(pipeline_settings)
    assert len(sealed) == 3
    assert not any(value in text for text in sealed for value in (secret, "s3cr3tSlackToken", KEY_LINE))


BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("webhook", {"name": "a", "url": "http://10.0.0.5/hook"}, "blocked_by_policy"),
    ("webhook", {"name": "a", "url": "http://169.254.169.254/latest/meta-data"}, "blocked_by_policy"),
    ("webhook", {"name": "a", "url": "http://0x7f000002/hook"}, "blocked_by_policy"),
    ("webhook", {"name": "a", "url": "http://localhost:8080/hook"}, "blocked_by_policy"),
    ("webhook", {"name": "a", "url": "ftp://example.com/hook"}, "blocked_by_policy"),
    ("webhook", {"name": "a", "url": "https://example.com/h", "events": ["row.deleted"]}, "validation_error"),
    ("webhook", {"name": "a", "url": "https://example.com/h", "events": []}, "validation_error"),
    ("slack", {"name": "a", "webhook_url": "http://192.168.1.10/services/x"}, "blocked_by_policy"),
    ("email", {"name": "a", "to": ["ops@example.com"]}, "email_unavailable"),
    ("email", {"name": "a", "to": ["not an address"]}, "validation_error"),
    ("google-sheets", {"name": "a", "spreadsheet": "nope!", "credentials": SERVICE_ACCOUNT}, "sheets_bad_request"),
    (
        "google-sheets",
        {
            "name": "a",
            "spreadsheet": "https://evil.example/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz01/x",
            "credentials": SERVICE_ACCOUNT,
        },
        "sheets_bad_request",
    ),
    (
        "google-sheets",
        {"name": "a", "spreadsheet": SHEET_URL, "credentials": {"type": "service_account", "client_email": "x"}},
        "sheets_bad_credentials",
    ),
    (
        "google-sheets",
        {"name": "a", "spreadsheet": SHEET_URL, "credentials": {**SERVICE_ACCOUNT, "private_key": "not a key"}},
        "sheets_bad_credentials",
    ),
    (
        "google-sheets",
        {"name": "a", "spreadsheet": SHEET_URL, "credentials": {**SERVICE_ACCOUNT, "token_uri": "http://10.0.0.1/t"}},
        "sheets_bad_credentials",
    ),
    ("google-sheets", {"name": "a", "spreadsheet": SHEET_URL, "credentials": {"token": "x"}}, "sheets_bad_credentials"),
    (
        "google-sheets",
        {"name": "a", "spreadsheet": SHEET_URL, "credentials": SERVICE_ACCOUNT, "mode": "upsert"},
        "validation_error",
    ),
]


@pytest.mark.parametrize(
    ("kind", "body", "code"), BAD_INPUT, ids=[f"{k}-{c}-{i}" for i, (k, _, c) in enumerate(BAD_INPUT)]
)
async def test_bad_destinations_are_refused(api: httpx.AsyncClient, kind: str, body: dict[str, Any], code: str) -> None:
    headers = await sign_up(api)
    answer = await api.post(f"/api/v1/exports/{kind}", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    listed = await api.get("/api/v1/exports/destinations", headers=headers)
    assert listed.json()["items"] == []


async def test_changes_are_validated_like_new_destinations(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    made = await api.post(
        "/api/v1/exports/webhook", json={"name": "Hook", "url": "https://example.com/h"}, headers=headers
    )
    path = f"/api/v1/exports/destinations/{made.json()['id']}"
    wrong_type = await api.put(path, json={"to": ["ops@example.com"]}, headers=headers)
    assert (wrong_type.status_code, wrong_type.json()["error"]["code"]) == (422, "invalid_destination")
    private = await api.put(path, json={"url": "http://10.1.2.3/"}, headers=headers)
    assert (private.status_code, private.json()["error"]["code"]) == (422, "blocked_by_policy")
    moved = await api.put(path, json={"url": "https://example.org/new", "events": ["rows.changed"]}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["config"] == {"url": "https://example.org/new", "events": ["rows.changed"]}
    unknown = await api.put(
        "/api/v1/exports/destinations/01a20000-0000-7000-8000-000000000000", json={"name": "x"}, headers=headers
    )
    assert unknown.status_code == 404
    assert (await api.delete(path, headers=headers)).status_code == 204
    assert (await api.get(f"{path}/deliveries", headers=headers)).status_code == 404


async def test_a_test_send_to_a_receiver_that_is_not_there_reports_the_error(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    made = await api.post(
        "/api/v1/exports/webhook", json={"name": "Hook", "url": "http://127.0.0.1:9/h"}, headers=headers
    )
    answer = await api.post(f"/api/v1/exports/destinations/{made.json()['id']}/test", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is False
    assert answer.json()["error"].startswith("Could not reach the receiver: ConnectError")
