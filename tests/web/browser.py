"""Checks on a page in the browser: accessibility with axe-core, and the screenshots the README shows."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from scrapeflow.cli import FRONTEND, REPO_ROOT

AXE_SCRIPT = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}


def axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; fail on serious or critical violations, return the lesser ones."""
    if not page.evaluate("() => 'axe' in window"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations"
    )
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, (
        "accessibility violations on "
        + page.url
        + ":\n"
        + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in blocking
        )
    )
    return [v for v in violations if v.get("impact") not in BLOCKING_IMPACTS]


def screenshot(page: Page, name: str) -> None:
    """docs/screenshots/<name>.png (committed; the README shows them), the whole page at the viewport's width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")
