"""Helpers for the browser tests: plans from a few steps, and the Chromium processes this test process started."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any

from scrapeflow.engine.browser.options import BrowserOptions
from scrapeflow.engine.fetch import FetchOptions
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.workflow.compiler import compile_workflow
from scrapeflow.workflow.plan import Plan

ALLOW_LOCAL = FetchAllowlist.parse("127.0.0.1")
BROWSER = BrowserOptions(allowlist=ALLOW_LOCAL, contexts=2, page_timeout=15)
HTTP = FetchOptions(allowlist=ALLOW_LOCAL, backoff_base=0.01, backoff_max=0.05, retries=0)
CARDS = {
    "mode": "list",
    "item_selector": ".product-card",
    "fields": [{"name": "title", "selector": "h2"}, {"name": "price", "selector": ".price", "type": "price"}],
}


def plan(*steps: tuple[str, dict[str, Any]], urls: list[str] | None = None) -> Plan:
    nodes = [{"id": "start", "type": "start", "data": {"urls": urls or ["http://127.0.0.1/"]}}]
    nodes += [{"id": f"n{i}", "type": kind, "data": data} for i, (kind, data) in enumerate(steps)]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return compile_workflow({"nodes": nodes, "edges": edges})


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def chromium_processes() -> dict[int, str]:
    """Live Chromium processes descending from this test process: pid -> command line."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and stat[1] != "Z":
            parents[int(entry)] = stat[0]
    me = os.getpid()
    found: dict[int, str] = {}
    for pid in parents:
        ancestor, hops = parents.get(pid), 0
        while ancestor not in (None, 0, 1, me) and hops < 20:
            ancestor, hops = parents.get(ancestor), hops + 1  # type: ignore[arg-type]
        if ancestor != me:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "chrom" in command.split(" ", 1)[0]:
            found[pid] = command
    return found


def browser_process() -> int:
    """The main Chromium process (the one without --type=) of the single browser this process runs."""
    mains = [pid for pid, command in chromium_processes().items() if "--type=" not in command]
    assert len(mains) == 1, mains
    return mains[0]


def renderer_processes() -> list[int]:
    return [pid for pid, command in chromium_processes().items() if "--type=renderer" in command]


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def wait_until_gone(pids: set[int], seconds: float = 10.0) -> set[int]:
    """The pids still alive after waiting up to `seconds` for them to exit."""
    deadline = time.monotonic() + seconds
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
