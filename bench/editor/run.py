"""Editor benchmark: the bot editor with a 300-step bot against a 10-step bot, in Chromium, same run.

Starts the API on a fresh SQLite data dir (`scrapeflow migrate`, then `scrapeflow api`) and the built web app
(`next start` as `scrapeflow run` starts it, built first with `npm run build` when `frontend/.next` is missing or
`--build` is given), registers a user and creates both bots through the API (a straight line Start → page steps →
Extract). Then, alternately for each bot and `--rounds` times, it opens `/editor/<id>` in Chromium (Python
playwright, /usr/bin/chromium) and measures in the page with `performance.now()`:

- render: from navigation start until every step is in the DOM;
- add + connect: with the last step in view selected, a click on a palette step adds a step after it and
  connects it; timed from the click until the DOM shows the new node and the new edge (checked on each animation
  frame), `--adds` times per page load. A bot opens whole when it fits at a readable zoom (50%), else on its
  first steps at that zoom, so this is the view the target is met in.
- add + connect in the whole bot: the same after the canvas's "Fit View" control has zoomed out to show every
  step (the 300-step bot at 5%, about a hundred steps drawn). Printed for information, not part of the target.

Prints the medians, the ratios 300/10, and PASS/FAIL against the target: adding a step in the 300-step bot takes
at most 2x the 10-step time and at most 50 ms. Writes bench/results/editor-<UTC timestamp>.json.

Exit status: 0 when the target passes, 1 when it is missed, 2 when the benchmark cannot run.

Usage: uv run --frozen python bench/editor/run.py [--rounds 3] [--adds 5] [--build]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # bench.common

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.common.shop import BenchError, free_port  # noqa: E402
from scrapeflow.cli import web_app_command  # noqa: E402
from scrapeflow.engine.browser.options import CHROMIUM_ARGS  # noqa: E402

FRONTEND = REPO_ROOT / "frontend"
RESULTS_DIR = REPO_ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
TARGET_RATIO = 2.0
TARGET_ADD_MS = 50.0
PAGE_STEPS = ["wait", "scroll", "click"]

# In the page: time from the click on a palette step until the new node and edge are in the DOM.
ADD_AND_CONNECT_JS = """
async ([kind]) => {
  // The canvas draws only the steps in view, so the new step and edge are told apart by id, not by count.
  const ids = (selector) => new Set([...document.querySelectorAll(selector)].map((el) => el.dataset.testid));
  const nodesBefore = ids('.react-flow__node');
  const edgesBefore = ids('.react-flow__edge');
  const added = (selector, before) => [...ids(selector)].some((id) => !before.has(id));
  const button = document.querySelector(`[data-node-type="${kind}"]`);
  const started = performance.now();
  button.click();
  return await new Promise((resolve) => {
    const check = () => {
      if (added('.react-flow__node', nodesBefore) && added('.react-flow__edge', edgesBefore)) {
        resolve(performance.now() - started);
      } else if (performance.now() - started > 10000) resolve(-1);
      else requestAnimationFrame(check);
    };
    check();
  });
}
"""

RENDERED_JS = "count => document.querySelectorAll('.react-flow__node').length >= count ? performance.now() : false"


def log(message: str) -> None:
    print(f"[editor] {message}", flush=True)


def workflow(size: int) -> dict[str, Any]:
    """Start, then size-2 page steps, then Extract: a valid bot of `size` steps."""
    steps: list[tuple[str, dict[str, Any]]] = [("start", {"urls": ["https://example.com/"]})]
    for index in range(size - 2):
        kind = PAGE_STEPS[index % len(PAGE_STEPS)]
        data = {"wait": {"ms": 10}, "scroll": {"times": 1}, "click": {"selector": f".button-{index}"}}[kind]
        steps.append((kind, data))
    steps.append(("extract", {"mode": "single", "fields": [{"name": "title", "selector": "h1"}]}))
    nodes = [
        {"id": f"n{i}", "type": kind, "position": {"x": 0, "y": 150 * i}, "data": data}
        for i, (kind, data) in enumerate(steps)
    ]
    edges = [{"id": f"e{i}", "source": f"n{i}", "target": f"n{i + 1}"} for i in range(len(nodes) - 1)]
    return {"nodes": nodes, "edges": edges}


def call(base: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return dict(json.loads(response.read() or b"{}"))


def wait_for(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with status {process.returncode}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        time.sleep(0.3)
    raise BenchError(f"{what} did not answer {url} within {timeout:.0f} s")


@contextlib.contextmanager
def servers(build: bool) -> Iterator[tuple[str, str]]:
    scrapeflow = str(Path(sys.executable).parent / "scrapeflow")
    with tempfile.TemporaryDirectory(prefix="bench-editor-") as data_dir:
        env = {**os.environ, "SCRAPEFLOW_DATA_DIR": data_dir, "NEXT_TELEMETRY_DISABLED": "1"}
        subprocess.run([scrapeflow, "migrate"], env=env, check=True, capture_output=True)
        if build or not (FRONTEND / ".next" / "BUILD_ID").exists():
            log("building the web app (npm run build)")
            subprocess.run(["npm", "run", "build"], cwd=FRONTEND, env=env, check=True, capture_output=True)
        api_port, web_port = free_port(), free_port()
        api_url, web_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{web_port}"
        processes: list[subprocess.Popen[bytes]] = []
        try:
            api = subprocess.Popen(
                [scrapeflow, "api", "--port", str(api_port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            processes.append(api)
            wait_for(f"{api_url}/health", api, "the API")
            command = web_app_command("127.0.0.1", web_port)
            if isinstance(command, str):
                raise BenchError(f"the web app cannot start: {command}")
            web = subprocess.Popen(
                command,
                cwd=FRONTEND,
                env={**env, "SCRAPEFLOW_API_URL": api_url},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            processes.append(web)
            wait_for(f"{web_url}/", web, "the web app")
            yield api_url, web_url
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def add_and_connect(page: Any, adds: int, into: list[float]) -> None:
    for _ in range(adds):
        # Select the last step drawn (the canvas draws only the steps in view) by its click handler.
        page.locator(".react-flow__node").last.dispatch_event("click")
        page.wait_for_timeout(100)
        took = page.evaluate(ADD_AND_CONNECT_JS, ["screenshot"])
        if took < 0:
            raise BenchError("the new step or its connection did not appear within 10 s")
        into.append(took)
        page.wait_for_timeout(100)


def measure(web_url: str, api_url: str, args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    email, password = f"bench-{int(time.time())}@example.com", "bench editor password 1"
    call(api_url, "/api/v1/auth/register", {"email": email, "password": password, "name": "Bench"})
    token = call(api_url, "/api/v1/auth/login", {"email": email, "password": password})["access_token"]
    bots = {
        size: call(api_url, "/api/v1/bots", {"name": f"{size} steps", "workflow_json": workflow(size)}, token)["id"]
        for size in (10, 300)
    }
    figures: dict[str, dict[str, list[float]]] = {
        str(size): {"render_ms": [], "add_ms": [], "add_whole_ms": []} for size in bots
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(web_url + "/")
        # Sign in from the page so the refresh cookie is the web app's; RequireSession restores the session.
        page.evaluate(
            """async ([email, password]) => {
              const response = await fetch('/api/v1/auth/login', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json'}, body: JSON.stringify({email, password})});
              if (!response.ok) throw new Error('login ' + response.status);
            }""",
            [email, password],
        )
        for round_number in range(args.rounds):
            for size, bot_id in bots.items():
                page.goto(f"{web_url}/editor/{bot_id}")
                rendered = page.wait_for_function(RENDERED_JS, arg=size, polling="raf", timeout=120_000).json_value()
                figures[str(size)]["render_ms"].append(rendered)
                page.wait_for_timeout(300)  # let the opening view and the first validation settle
                add_and_connect(page, args.adds, figures[str(size)]["add_ms"])
                page.get_by_role("button", name="Fit View").click()
                page.wait_for_timeout(300)
                add_and_connect(page, args.adds, figures[str(size)]["add_whole_ms"])
                page.once("dialog", lambda dialog: dialog.accept())  # the unsaved-changes guard
                log(
                    f"round {round_number + 1}: {size} steps render {rendered:.0f} ms, add+connect "
                    + ", ".join(f"{value:.1f}" for value in figures[str(size)]["add_ms"][-args.adds :])
                    + " ms; in the whole bot "
                    + ", ".join(f"{value:.1f}" for value in figures[str(size)]["add_whole_ms"][-args.adds :])
                    + " ms"
                )
        browser.close()
        if errors:
            log(f"console errors: {errors[:5]}")
    return figures


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # runs the `finally` that stops the servers


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--adds", type=int, default=5)
    parser.add_argument("--build", action="store_true", help="rebuild the web app first")
    args = parser.parse_args(argv)
    try:
        with servers(args.build) as (api_url, web_url):
            figures = measure(web_url, api_url, args)
    except (BenchError, subprocess.CalledProcessError, OSError, PlaywrightError) as exc:
        print(f"could not run: {exc}", file=sys.stderr)
        return 2
    median = {size: {key: statistics.median(values) for key, values in data.items()} for size, data in figures.items()}
    render_ratio = median["300"]["render_ms"] / median["10"]["render_ms"]
    add_ratio = median["300"]["add_ms"] / median["10"]["add_ms"]
    whole_ratio = median["300"]["add_whole_ms"] / median["10"]["add_whole_ms"]
    print(f"render:        10 steps {median['10']['render_ms']:.0f} ms, 300 steps {median['300']['render_ms']:.0f} ms")
    print(f"add + connect: 10 steps {median['10']['add_ms']:.1f} ms, 300 steps {median['300']['add_ms']:.1f} ms")
    print(
        f"add + connect in the whole bot (Fit View, information): 10 steps {median['10']['add_whole_ms']:.1f} ms, "
        f"300 steps {median['300']['add_whole_ms']:.1f} ms"
    )
    print(
        f"ratios 300/10: render {render_ratio:.2f}x, add + connect {add_ratio:.2f}x, "
        f"in the whole bot {whole_ratio:.2f}x"
    )
    passed = add_ratio <= TARGET_RATIO and median["300"]["add_ms"] <= TARGET_ADD_MS
    print(
        f"{'PASS' if passed else 'FAIL'}: add + connect in the 300-step bot {median['300']['add_ms']:.1f} ms "
        f"(target <= {TARGET_ADD_MS:g} ms) and {add_ratio:.2f}x the 10-step bot (target <= {TARGET_RATIO:g}x)"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "figures": figures,
        "median": median,
        "render_ratio": render_ratio,
        "add_ratio": add_ratio,
        "whole_bot_add_ratio": whole_ratio,
    }
    (RESULTS_DIR / f"editor-{stamp}.json").write_text(json.dumps({**result, "passed": passed}, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
