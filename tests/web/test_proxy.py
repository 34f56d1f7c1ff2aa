"""The web app in front of the API: pages and the API on one origin, the refresh cookie first-party, the client's
real address reaching the API's per-IP limits, and live execution events streaming through unbuffered."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from playwright.sync_api import Page

from scrapeflow.auth.endpoints import REFRESH_COOKIE, REFRESH_COOKIE_PATH
from tests.web.browser import axe, screenshot
from tests.web.conftest import Account

OTHER_LOOPBACK = "127.0.0.2"  # a client address the API does not trust to name another (FORWARDED_ALLOW_IPS)
SPOOFED = "203.0.113.9"


def test_the_web_app_serves_its_pages_and_the_api_on_one_origin(page: Page, web_url: str) -> None:
    landing = page.goto("/")
    assert landing is not None and landing.status == 200
    axe(page)
    screenshot(page, "landing")
    plans = httpx.get(f"{web_url}/api/v1/payments/plans")
    assert plans.status_code == 200
    assert {"free", "pro"} <= {plan["name"] for plan in plans.json()["plans"]}
    missing = httpx.get(f"{web_url}/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"]


def test_signing_in_sets_a_first_party_refresh_cookie_that_restores_the_session(
    page: Page, account: Account, web_url: str
) -> None:
    page.goto("/")
    signed_in = page.evaluate(
        """async ([email, password]) => {
            const response = await fetch('/api/v1/auth/login', {
                method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({email, password}),
            });
            return response.status;
        }""",
        [account.email, account.password],
    )
    assert signed_in == 200
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    refresh = cookies[REFRESH_COOKIE]
    assert refresh["domain"] == "127.0.0.1"
    assert refresh["path"] == REFRESH_COOKIE_PATH
    assert refresh["httpOnly"] is True
    assert refresh["sameSite"] == "Lax"
    restored: dict[str, Any] = page.evaluate(
        """async () => {
            const refreshed = await fetch('/api/v1/auth/refresh', {method: 'POST'});
            const {access_token} = await refreshed.json();
            const me = await fetch('/api/v1/users/me', {headers: {Authorization: `Bearer ${access_token}`}});
            return {status: me.status, body: await me.json(), cookie: document.cookie};
        }"""
    )
    assert restored["status"] == 200
    assert restored["body"]["email"] == account.email
    assert REFRESH_COOKIE not in restored["cookie"]  # HttpOnly: no script reads it


def sign_in_from(url: str, account: Account, address: str) -> None:
    """Sign in from `address` claiming to be SPOOFED, as a client that lies in X-Forwarded-For would."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        answer = client.post(
            f"{url}/api/v1/auth/login",
            json={"email": account.email, "password": account.password},
            headers={"X-Forwarded-For": SPOOFED},
        )
    assert answer.status_code == 200, answer.text


def login_addresses(api_url: str, account: Account) -> list[str | None]:
    orgs = httpx.get(f"{api_url}/api/v1/orgs", headers=account.headers).json()
    org_id = orgs[0]["id"]
    entries = httpx.get(
        f"{api_url}/api/v1/orgs/{org_id}/audit", params={"action": "auth.login"}, headers=account.headers
    ).json()["items"]
    return [entry["ip"] for entry in entries]


def test_the_api_counts_a_request_through_the_web_app_against_the_browsers_address(
    account: Account, api_url: str, web_url: str
) -> None:
    before = login_addresses(api_url, account)
    sign_in_from(web_url, account, OTHER_LOOPBACK)
    through_web = login_addresses(api_url, account)
    # Not 127.0.0.1 (the web app's own address towards the API), and not what the client claimed.
    assert through_web[: len(through_web) - len(before)] == [OTHER_LOOPBACK]
    sign_in_from(api_url, account, OTHER_LOOPBACK)  # straight at the API: an untrusted peer names nobody else
    assert login_addresses(api_url, account)[0] == OTHER_LOOPBACK


def slow_workflow(site_url: str) -> dict[str, Any]:
    urls = [f"{site_url}/products?page=1", f"{site_url}/slow?ms=3000"]
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": urls}},
            {"id": "title", "type": "extract", "data": {"fields": [{"name": "title", "selector": "h1"}]}},
        ],
        "edges": [{"source": "start", "target": "title"}],
    }


def test_execution_events_stream_through_the_web_app_as_they_happen(
    account: Account, api_url: str, web_url: str, site_url: str
) -> None:
    created = httpx.post(
        f"{api_url}/api/v1/bots",
        json={"name": "slow", "workflow_json": slow_workflow(site_url)},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    started = httpx.post(f"{api_url}/api/v1/bots/{created.json()['id']}/execute", headers=account.headers)
    assert started.status_code == 202, started.text

    arrivals: list[tuple[float, str, dict[str, Any]]] = []
    # A browser's headers: it accepts gzip, which the web app's server would otherwise use to hold events back.
    headers = account.headers | {"Accept": "text/event-stream", "Accept-Encoding": "gzip, deflate, br"}
    url = f"{web_url}/api/v1/executions/{started.json()['id']}/events"
    with httpx.stream("GET", url, headers=headers, timeout=60) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        event = "message"
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                arrivals.append((time.monotonic(), event, json.loads(line.removeprefix("data: "))))
                if event == "end":
                    break

    names = [name for _, name, _ in arrivals]
    assert names[-1] == "end", names
    assert arrivals[-1][2]["status"] == "succeeded"
    # The first events came while the slow page was still loading, not all at once when the stream closed.
    assert arrivals[-1][0] - arrivals[0][0] > 1.5, names
