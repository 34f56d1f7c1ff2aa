"""Pages that need a browser: lists rendered by JavaScript from a JSON endpoint, infinite scroll, a "load more"
button, tabs, content that appears late, and the awkward ones (a page that never finishes loading, dialogs and
pop-ups, a download, a page that navigates away). All static: the JavaScript reads the URL itself."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from tests.site.catalog import Catalog, Product
from tests.site.pages import layout

JS_LIST = "/js/products"
API_LIST = "/api/products"
DELAY_MS = 800  # /js/delayed shows its content after this long (`?ms=` changes it)
NAVIGATE_AWAY_TO = "/js/products?page=2"
TAB_COUNT = 3

# One card, the same markup on every scripted page: `.product-card` > h2 > a.product-link, `.price`.
_CARD_JS = """
function productCard(product) {
  const card = document.createElement("article");
  card.className = "product-card";
  card.dataset.productId = product.id;
  const title = document.createElement("h2");
  const link = document.createElement("a");
  link.className = "product-link";
  link.href = product.path;
  link.textContent = product.title;
  title.appendChild(link);
  const price = document.createElement("span");
  price.className = "price";
  price.textContent = product.price_text;
  card.append(title, price);
  return card;
}
async function productPage(number) {
  const response = await fetch("/api/products?page=" + number);
  return response.ok ? await response.json() : null;
}
"""


def _script(code: str) -> str:
    return f"<script>\n{_CARD_JS}{code}</script>\n"


def api_page(catalog: Catalog, number: int) -> dict[str, Any]:
    """The JSON the scripted lists fetch: one list page of products."""
    return {
        "page": number,
        "pages": catalog.page_count(),
        "total": catalog.size,
        "products": [_product_json(product) for product in catalog.page(number)],
    }


def _product_json(product: Product) -> dict[str, Any]:
    return {"id": product.id, "title": product.title, "price_text": product.price_text, "path": product.path}


def render_api_page(catalog: Catalog, number: int) -> bytes:
    return json.dumps(api_page(catalog, number), ensure_ascii=False).encode()


def render_js_list(number: int) -> str:
    """The list page, empty until its script fetches the products and the pagination links."""
    body = (
        "<h1>All products</h1>\n"
        '<p class="result-count" id="status">Loading products…</p>\n'
        '<div class="products" id="products"></div>\n'
        '<nav class="pagination" id="pagination"></nav>\n'
        + _script(
            f"""
(async () => {{
  const data = await productPage({number});
  const list = document.getElementById("products");
  data.products.forEach((product) => list.appendChild(productCard(product)));
  document.getElementById("status").textContent = "Page " + data.page + " of " + data.pages;
  if (data.page < data.pages) {{
    const next = document.createElement("a");
    next.rel = "next";
    next.className = "next";
    next.href = "{JS_LIST}?page=" + (data.page + 1);
    next.textContent = "Next";
    document.getElementById("pagination").appendChild(next);
  }}
}})();
"""
        )
    )
    return layout(f"All products – page {number} (scripted)", body)


def render_infinite() -> str:
    """Products arrive a page at a time as the visitor scrolls to the bottom; `#end` shows when all are in."""
    body = (
        "<h1>Endless products</h1>\n"
        '<div class="products" id="products"></div>\n'
        '<p id="loading" hidden>Loading more…</p>\n'
        + _script(
            """
let next = 1, busy = false, done = false;
async function more() {
  if (busy || done) return;
  busy = true;
  document.getElementById("loading").hidden = false;
  const data = await productPage(next);
  const list = document.getElementById("products");
  data.products.forEach((product) => list.appendChild(productCard(product)));
  next += 1;
  done = next > data.pages;
  if (done) {
    const end = document.createElement("p");
    end.id = "end";
    end.textContent = "That is everything.";
    list.after(end);
  }
  document.getElementById("loading").hidden = true;
  busy = false;
}
window.addEventListener("scroll", () => {
  if (window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 300) more();
});
more();
"""
        )
    )
    return layout("Endless products", body)


def render_load_more() -> str:
    """The first page of products and a button that appends the next; the button goes away after the last page."""
    body = (
        "<h1>More products</h1>\n"
        '<div class="products" id="products"></div>\n'
        '<button type="button" class="load-more" hidden>Load more</button>\n'
        + _script(
            """
let next = 1;
const button = document.querySelector("button.load-more");
async function more() {
  button.disabled = true;
  const data = await productPage(next);
  const list = document.getElementById("products");
  data.products.forEach((product) => list.appendChild(productCard(product)));
  next += 1;
  if (next > data.pages) button.remove();
  else { button.hidden = false; button.disabled = false; }
}
button.addEventListener("click", more);
more();
"""
        )
    )
    return layout("More products", body)


def tab_data(catalog: Catalog) -> list[dict[str, Any]]:
    """What /js/tabs shows: one tab per category (the first TAB_COUNT), its product count and cheapest product."""
    tabs = []
    for category in catalog.categories[:TAB_COUNT]:
        products = catalog.by_category[category.slug]
        cheapest = min(products, key=lambda p: (p.price, p.id))
        tabs.append({"name": category.name, "count": len(products), "cheapest": cheapest.title})
    return tabs


def render_tabs(catalog: Catalog) -> str:
    """A tab list whose panel is filled by script when a tab is clicked (the first one at load)."""
    tabs = tab_data(catalog)
    buttons = "".join(
        f'<button type="button" role="tab" class="tab" aria-selected="false" data-index="{index}">'
        f"{escape(tab['name'])}</button>\n"
        for index, tab in enumerate(tabs)
    )
    data = json.dumps(tabs).replace("</", "<\\/")
    body = (
        "<h1>Categories at a glance</h1>\n"
        f'<div role="tablist" class="tabs">\n{buttons}</div>\n'
        '<section role="tabpanel" id="panel"></section>\n'
        + _script(
            f"""
const tabs = {data};
function show(index) {{
  document.querySelectorAll("[role=tab]").forEach((tab) => {{
    tab.setAttribute("aria-selected", String(Number(tab.dataset.index) === index));
  }});
  const panel = document.getElementById("panel");
  panel.replaceChildren();
  const heading = document.createElement("h2");
  heading.textContent = tabs[index].name;
  const count = document.createElement("p");
  count.className = "count";
  count.textContent = tabs[index].count + " products";
  const cheapest = document.createElement("p");
  cheapest.className = "cheapest";
  cheapest.textContent = tabs[index].cheapest;
  panel.append(heading, count, cheapest);
}}
document.querySelectorAll("[role=tab]").forEach((tab) => {{
  tab.addEventListener("click", () => show(Number(tab.dataset.index)));
}});
show(0);
"""
        )
    )
    return layout("Categories at a glance", body)


def render_delayed(catalog: Catalog) -> str:
    """The product appears `?ms=` (default DELAY_MS) after the page has loaded."""
    product = catalog.products[0]
    card = json.dumps(_product_json(product)).replace("</", "<\\/")
    body = (
        "<h1>Deal of the day</h1>\n"
        '<div id="deal"><p class="placeholder">Finding today’s deal…</p></div>\n'
        + _script(
            f"""
const wait = Number(new URLSearchParams(location.search).get("ms") || "{DELAY_MS}");
setTimeout(() => {{
  const deal = document.getElementById("deal");
  const box = document.createElement("div");
  box.className = "delayed-content";
  box.appendChild(productCard({card}));
  deal.replaceChildren(box);
}}, wait);
"""
        )
    )
    return layout("Deal of the day", body)


def render_never_loads() -> str:
    """The text is there at once, but an image that never arrives keeps the load event from ever firing."""
    body = (
        "<h1>Almost there</h1>\n"
        '<p class="status">This page never finishes loading.</p>\n'
        '<img src="/slow?ms=60000" alt="an image that never arrives">\n'
    )
    return layout("Almost there", body)


def render_dialogs() -> str:
    """An alert, a confirm() whose answer is written into the page, and a pop-up window opened at load."""
    body = (
        "<h1>Pushy page</h1>\n"
        '<p>Cookies: <span id="answer">unanswered</span></p>\n'
        '<p>Pop-up: <span id="popup">none</span></p>\n'
        "<script>\n"
        'alert("Welcome to the pushy page!");\n'
        'document.getElementById("answer").textContent = confirm("Accept cookies?") ? "accepted" : "dismissed";\n'
        'const popup = window.open("/js/popup", "_blank");\n'
        'document.getElementById("popup").textContent = popup ? "opened" : "blocked";\n'
        "</script>\n"
    )
    return layout("Pushy page", body)


def render_popup() -> str:
    return layout("Pop-up", '<h1 class="popup-title">Subscribe to our newsletter!</h1>\n')


def render_download() -> str:
    """A page that starts a file download by itself as soon as it loads."""
    body = (
        "<h1>Your report</h1>\n"
        '<p class="status">Your download starts automatically.</p>\n'
        '<a id="file" href="/download.bin" download="report.bin">Download again</a>\n'
        '<script>document.getElementById("file").click();</script>\n'
    )
    return layout("Your report", body)


def render_navigate_away() -> str:
    """Shows a notice, then sends the visitor to another page by script once loaded."""
    body = (
        "<h1>We moved</h1>\n"
        '<p class="notice">Taking you to the products…</p>\n'
        f'<script>window.addEventListener("load", () => setTimeout(() => {{ location.href = "{NAVIGATE_AWAY_TO}"; '
        "}, 200));</script>\n"
    )
    return layout("We moved", body)


def render_private_resources(target: str) -> str:
    """A page that reaches for `target` (a private address) every way it can: an image, a fetch, an iframe,
    a redirect through the site's open redirect, and a link. Only the link is harmless (nobody follows it)."""
    origin = escape(target.rstrip("/"))
    body = (
        '<h1 class="title">Resources</h1>\n'
        f'<img src="{origin}/pixel.png" alt="direct">\n'
        f'<img src="/redirect-to?url={origin}/redirected.png" alt="redirected">\n'
        f'<iframe src="{origin}/frame.html" title="frame"></iframe>\n'
        f'<a class="private-link" href="{origin}/secret.html">Secret</a>\n'
        f'<script>fetch("{origin}/api/data").catch(() => {{}});</script>\n'
    )
    return layout("Resources", body)
