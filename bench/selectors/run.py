"""Selector benchmark: do picked selectors survive a redesign? Ours (frontend/src/lib/picker) against @medv/finder.

Bundles our picker module and @medv/finder (defaults) into IIFEs with esbuild, serves the test shop (tests/site)
twice from the same catalogue, once with the "classic" theme and once with the "redesign" theme (other tags, class
names and wrappers, same data), and in Chromium:

1. on each classic page, finds the elements of a fixed set of picks by their text (product titles, prices, the
   next-page link, a product page's title, price, description, breadcrumb, ...) and computes both sides'
   selectors for the same elements, in the same run. Lists: ours is the picker's list generalisation (moved
   with widen/narrow to the intended list when it first proposes another one); finder has no list mode, so its
   selector for the first item has its :nth-child/:nth-of-type positions removed (all, or one at a time until
   the selector matches the list);
2. on the same page of the redesigned site, checks whether each selector still matches exactly the same elements
   (located again by their text; same count, same order).

Prints each pick and both survival rates (surviving selectors / selectors correct on the classic page) and the
ratio ours/finder against the target (>= 1.5). Writes bench/results/selectors-<UTC timestamp>.json and this
benchmark's section of bench/README.md.

Exit status: 0 when the target passes, 1 when it is missed, 2 when the benchmark cannot run.

Usage: uv run --frozen python bench/selectors/run.py [--size 240] [--no-readme]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FRONTEND = REPO_ROOT / "frontend"
HERE = Path(__file__).resolve().parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
README = REPO_ROOT / "bench" / "README.md"
sys.path.insert(0, str(REPO_ROOT))  # tests.site: the shop and its catalogue

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from scrapeflow.engine.browser.options import CHROMIUM_ARGS  # noqa: E402
from tests.site.catalog import Catalog, Product  # noqa: E402

TARGET_RATIO = 1.5
CHROMIUM = "/usr/bin/chromium"
SECTION_START = "<!-- bench:selectors -->"
SECTION_END = "<!-- /bench:selectors -->"
FINDER_ENTRY = 'import { finder } from "@medv/finder";\nwindow.medvFinder = (element) => finder(element);\n'


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to running and missing the target)."""


def log(message: str) -> None:
    print(f"[bench selectors] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bundle(work: Path) -> tuple[str, str]:
    """Our picker module and finder as browser scripts (IIFEs), built by the frontend's esbuild."""
    esbuild = FRONTEND / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists() or not (FRONTEND / "node_modules" / "@medv" / "finder").exists():
        raise BenchError("esbuild or @medv/finder is missing: run `npm install` in frontend/")
    ours, finder = work / "picker.js", work / "finder.js"
    common = ["--bundle", "--format=iife", "--target=chrome110", "--log-level=warning"]
    subprocess.run(
        [str(esbuild), "src/lib/picker/index.ts", *common, "--global-name=ScrapeFlowPicker", f"--outfile={ours}"],
        cwd=FRONTEND,
        check=True,
    )
    subprocess.run(
        [str(esbuild), *common, "--sourcefile=finder-entry.js", f"--outfile={finder}"],
        cwd=FRONTEND,
        input=FINDER_ENTRY.encode(),
        check=True,
    )
    return ours.read_text(), finder.read_text()


def start_site(theme: str, size: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "tests.site", "--port", str(port), "--size", str(size), "--theme", theme]
    site = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if site.poll() is not None:
            raise BenchError(f"the {theme} site exited: {site.stderr.read().decode() if site.stderr else ''}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base_url}/products?page=1", timeout=2):  # noqa: S310
            return site, base_url
        time.sleep(0.2)
    site.kill()
    raise BenchError(f"the {theme} site did not start within 30 s")


def target(text: str, near: str | None = None) -> dict[str, str]:
    return {"text": text, "near": near} if near else {"text": text}


def single(name: str, text: str, near: str | None = None, hint: str | None = None) -> dict[str, Any]:
    """A pick of one element; `hint` (a selector valid in both themes) only tells apart elements of equal text."""
    return {
        "name": name,
        "kind": "single",
        "targets": [target(text, near)],
        "hints": {"classic": hint, "redesign": hint},
    }


def many(name: str, targets: list[dict[str, str]], hint: str | None = None, anchor: int = 2) -> dict[str, Any]:
    """A list pick: the user clicks item `anchor` and wants every target."""
    return {
        "name": name,
        "kind": "list",
        "targets": targets,
        "anchor": anchor,
        "hints": {"classic": hint, "redesign": hint},
    }


def rating_text(product: Product) -> str:
    if product.review_count == 0:
        return "No reviews yet"
    return f"{product.rating} out of 5 ({product.review_count} reviews)"


def list_page_picks(catalog: Catalog, number: int) -> list[dict[str, Any]]:
    products = catalog.page(number)
    first = (number - 1) * len(catalog.page(1)) + 1
    card = products[5]
    return [
        many("product titles", [target(p.title) for p in products]),
        many("prices", [target(p.price_text, p.title) for p in products]),
        many("ratings", [target(rating_text(p), p.title) for p in products]),
        many("stock", [target("In stock" if p.in_stock else "Out of stock", p.title) for p in products]),
        single("next-page link", "Next"),
        single("one card's title", card.title),
        single("one card's price", card.price_text, near=card.title),
        single("result count", f"Showing {first}–{first + len(products) - 1} of {catalog.size} products"),
        single("heading", "All products"),
    ]


def product_page_picks(catalog: Catalog, product: Product) -> list[dict[str, Any]]:
    picks = [
        single("title", product.title, hint="h1"),
        single("price", product.price_text, hint=".offer"),
        single("description", " ".join(product.description)),
        single("breadcrumb", f"Home › {product.category.name} › {product.title}"),
        single("stock", "In stock" if product.in_stock else "Out of stock"),
        single("brand", product.brand, hint=".brand"),
        single("sku", product.sku),
        single(
            "rating",
            rating_text(product).replace(f" ({product.review_count} reviews)", f" – {product.review_count} reviews"),
        ),
        single("review count", f"{product.review_count} customers reviewed this product."),
        many("related products", [target(p.title) for p in catalog.related(product)], hint="aside", anchor=1),
        single("back link", "Back to the list"),
    ]
    if product.list_price_text:
        picks.insert(2, single("old price", product.list_price_text, hint=".offer"))
    return picks


def pages(catalog: Catalog) -> list[tuple[str, list[dict[str, Any]]]]:
    on_sale = next(p for p in catalog.products if p.list_price_text and p.review_count)
    unreviewed = next((p for p in catalog.products if not p.review_count and p is not on_sale), catalog.products[-1])
    return [
        ("/products?page=2", list_page_picks(catalog, 2)),
        (on_sale.path, product_page_picks(catalog, on_sale)),
        (unreviewed.path, product_page_picks(catalog, unreviewed)),
    ]


def open_page(page: Page, url: str, scripts: list[str]) -> None:
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        raise BenchError(f"{url} answered {response.status if response else 'nothing'}")
    for script in scripts:
        page.add_script_tag(content=script)


def measure(
    catalog: Catalog, classic_url: str, redesign_url: str, ours_js: str, finder_js: str
) -> list[dict[str, Any]]:
    harness = (HERE / "harness.js").read_text()
    rows: list[dict[str, Any]] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for path, picks in pages(catalog):
                open_page(page, classic_url + path, [ours_js, finder_js, harness])
                picked = [page.evaluate("pick => window.benchSelectors.pick(pick)", pick) for pick in picks]
                open_page(page, redesign_url + path, [harness])
                for pick, sides in zip(picks, picked, strict=True):
                    selectors = {
                        "ours": sides["ours"]["css"],
                        "xpath": sides["ours"]["xpath"],
                        "finder": sides["finder"]["css"],
                    }
                    after = page.evaluate(
                        "([pick, s]) => window.benchSelectors.check(pick, 'redesign', s)", [pick, selectors]
                    )
                    rows.append(
                        {"page": path, "pick": pick["name"], "kind": pick["kind"], "classic": sides, "redesign": after}
                    )
        finally:
            browser.close()
    return rows


def rate(rows: list[dict[str, Any]], correct: str, check: str) -> dict[str, Any]:
    """Surviving selectors among those correct on the classic page (`correct` and `check` name the fields)."""
    valid = [row for row in rows if row["classic"][correct]]
    survived = [row for row in valid if row["redesign"][check]["same"]]
    return {
        "picks": len(rows),
        "valid": len(valid),
        "survived": len(survived),
        "rate": len(survived) / max(1, len(valid)),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    for row in rows:
        row["classic"]["oursValid"] = row["classic"]["ours"]["valid"]
        row["classic"]["finderValid"] = row["classic"]["finder"]["valid"]
    ours, finder = rate(rows, "oursValid", "ours"), rate(rows, "finderValid", "finder")
    ratio = ours["rate"] / finder["rate"] if finder["rate"] else float("inf")
    lists = [row for row in rows if row["kind"] == "list"]
    return {
        "ours": ours,
        "finder": finder,
        "ours_xpath": rate(rows, "xpathValid", "xpath"),
        "ratio": ratio,
        "lists": len(lists),
        "lists_moved": sum(1 for row in lists if row["classic"]["ours"].get("moves")),
    }


def mark(ok: bool) -> str:
    return "yes" if ok else "no"


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'page':<34}{'pick':<20}{'ours':<42}{'kept':<6}{'finder':<52}{'kept':<5}")
    for row in rows:
        ours, finder = row["classic"]["ours"], row["classic"]["finder"]
        ours_cell = ours["css"] + ("" if ours["valid"] else " (WRONG on classic)")
        finder_cell = finder["css"] + ("" if finder["valid"] else " (WRONG on classic)")
        print(
            f"{row['page'][:33]:<34}{row['pick'][:19]:<20}{ours_cell[:41]:<42}{mark(row['redesign']['ours']['same']):<6}"
            f"{finder_cell[:51]:<52}{mark(row['redesign']['finder']['same']):<5}"
        )


def figures_row(label: str, side: dict[str, Any], *, bold: bool) -> str:
    survival = f"**{side['rate']:.0%}**" if bold else f"{side['rate']:.0%}"
    return f"| {label} | {side['valid']}/{side['picks']} | {side['survived']} | {survival} |"


def readme_section(rows: list[dict[str, Any]], summary: dict[str, Any], passed: bool, result: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ours, finder, xpath = summary["ours"], summary["finder"], summary["ours_xpath"]
    ratio = summary["ratio"]
    table = [
        "| page | pick | ours | kept | @medv/finder | kept |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = []
        for name in ("ours", "finder"):
            side = row["classic"][name]
            css = side["css"].replace("|", "\\|") + ("" if side["valid"] else " (wrong on classic)")
            cells.append(f"`{css}` | {mark(row['redesign'][name]['same'])}")
        table.append(f"| `{row['page']}` | {row['pick']} | {cells[0]} | {cells[1]} |")
    return "\n".join(
        [
            SECTION_START,
            "## selectors",
            "",
            "**What it measures.** Whether the selectors the element picker writes survive a redesign of the site,",
            "against `@medv/finder` 4 with its defaults, on the same picks in the same run. `bench/selectors/run.py`",
            "bundles our module (`frontend/src/lib/picker`) and finder into IIFEs with esbuild, serves the test shop",
            "(`tests/site`) twice from the same catalogue, with the `classic` theme and with the `redesign` theme",
            "(`tests/site/themes.py`: other tags, class names and wrappers, same data), and in Chromium picks a fixed",
            f"set of {len(rows)} elements on a list page and two product pages (one on sale with reviews, one without",
            "reviews), found by their text: product titles, prices, ratings and stock as lists, the next-page link,",
            "one card's title and price, the result count, and on product pages the title, price, old price,",
            "description,",
            "breadcrumb, stock, brand, SKU, rating, review count, related products (a list) and the back link.",
            "Both sides get the same element; for a list, ours is the picker's list generalisation (moved with",
            "widen/narrow when it first proposes another list) and finder's is its selector for the clicked item with",
            "`:nth-child`/`:nth-of-type` removed (all, or one at a time until it matches the list; finder has no list",
            "mode). A selector **survives** when, on the redesigned page, it matches exactly the same elements (found",
            "again by their text; same count, same order). Survival rate = surviving / correct on the classic page.",
            "Pages the redesign does not touch (home, pricing table) are left out: every selector survives there.",
            f"**Target: our survival rate ≥ {TARGET_RATIO:g}× finder's.**",
            "",
            "**How to run.** `scripts/bench selectors`, or",
            "`uv run --frozen python bench/selectors/run.py [--size 240]`",
            "(needs `npm install` in `frontend/` for esbuild and `@medv/finder`, and Chromium at /usr/bin/chromium).",
            "",
            f"**Figures** ({stamp}; `{result}`):",
            "",
            "| side | correct on classic | survived the redesign | survival rate |",
            "|---|---|---|---|",
            figures_row("ours (CSS)", ours, bold=True),
            figures_row("@medv/finder defaults", finder, bold=True),
            figures_row("ours (XPath, for information)", xpath, bold=False),
            "",
            f"Ratio ours/finder: **{ratio:.2f}×** {'PASS' if passed else 'FAIL'} (target ≥ {TARGET_RATIO:g}).",
            f"Of the {summary['lists']} list picks, {summary['lists_moved']} needed widen/narrow before our picker",
            "proposed the intended list.",
            "",
            "Reading the table: where both sides lose (price, old price, stock, breadcrumb), the element has nothing",
            "but a class the redesign renames, and no selector written from the classic markup alone can follow it.",
            "Ours keeps the picks where the page has hooks that outlive restyling and finder's defaults rank below a",
            "class or do not use: `itemprop` (title, description, rating), `rel=next`, the presence of",
            "`data-product-id` and `data-rating` (lists), and a link's own tag under such an anchor (a card's title).",
            "Both keep what the redesign leaves alone (SKU, brand, review count, related products, back link).",
            "",
            "<details><summary>Every pick</summary>",
            "",
            *table,
            "",
            "</details>",
            SECTION_END,
            "",
        ]
    )


def write_readme(section: str) -> None:
    """Replace this benchmark's section of bench/README.md (or append it); other sections stay as they are."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=240, help="products in the shop (both themes)")
    parser.add_argument("--target", type=float, default=TARGET_RATIO, help="ours/finder survival rate to pass")
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"cannot run: no Chromium at {CHROMIUM} (run scripts/system-packages)")
        return 2
    catalog = Catalog(size=args.size)
    sites: list[subprocess.Popen[bytes]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-selectors-"))
    try:
        ours_js, finder_js = bundle(work)
        log(f"bundled: picker {len(ours_js) // 1024} KiB, finder {len(finder_js) // 1024} KiB")
        classic, classic_url = start_site("classic", args.size)
        sites.append(classic)
        redesign, redesign_url = start_site("redesign", args.size)
        sites.append(redesign)
        log(f"classic site on {classic_url}, redesign on {redesign_url} ({args.size} products each)")
        rows = measure(catalog, classic_url, redesign_url, ours_js, finder_js)
    except (BenchError, subprocess.CalledProcessError) as exc:
        log(f"cannot run: {exc}")
        return 2
    finally:
        for site in sites:
            site.terminate()
            site.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(rows)
    ratio = summary["ratio"]
    passed = ratio >= args.target
    print_rows(rows)
    print()
    for name in ("ours", "finder", "ours_xpath"):
        side = summary[name]
        counts = f"correct on classic {side['valid']:>2}/{side['picks']}, survived {side['survived']:>2}"
        print(f"{name:<11} {counts}: {side['rate']:.0%}")
    comparison = f"{ratio:.2f} {'>=' if passed else '<'} {args.target:g}"
    verdict = f"{'PASS' if passed else 'FAIL'}: ours/finder survival {comparison}"
    print(verdict)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result_file = RESULTS_DIR / f"selectors-{stamp}.json"
    result_file.write_text(
        json.dumps(
            {
                "benchmark": "selectors",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
                "settings": vars(args),
                "target_ratio": args.target,
                "summary": summary,
                "passed": passed,
                "rows": rows,
            },
            indent=1,
            default=str,
        )
    )
    log(f"results: {result_file.relative_to(REPO_ROOT)}")
    if not args.no_readme:
        write_readme(readme_section(rows, summary, passed, verdict))
        log("bench/README.md updated")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
