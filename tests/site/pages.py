"""Pure HTML renderers for the test shop's crawlable pages: home, list pages, product pages, the table page."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from tests.site.catalog import PER_PAGE, Catalog, Category, Product
from tests.site.themes import Theme, get_theme

SHOP_NAME = "ScrapeFlow Test Shop"
EXTERNAL_URL = "https://www.example.org/partner?utm_source=scrapeflow-test-shop"

# (plan, price per month, pages per month, concurrent bots, support): the rows of /table.html's pricing table.
PRICING_PLANS = (
    ("Free", "$0", "1,000", "1", "Community"),
    ("Starter", "$19", "25,000", "3", "Email"),
    ("Pro", "$79", "250,000", "10", "Email & chat"),
    ("Business", "$249", "2,000,000", "50", "Dedicated"),
)


def list_url(page: int, category: str | None = None) -> str:
    return f"/products?page={page}" if category is None else f"/categories/{category}?page={page}"


def layout(title: str, body: str, *, canonical: str | None = None, head: str = "") -> str:
    links = f'<link rel="canonical" href="{escape(canonical)}">\n' if canonical else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} | {SHOP_NAME}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{links}{head}</head>\n<body>\n"
        '<header class="site-header"><a class="logo" href="/">ScrapeFlow Test Shop</a>\n'
        '<nav class="main-nav"><a href="/">Home</a> <a href="/products?page=1">Products</a> '
        '<a href="/table.html">Pricing</a></nav></header>\n'
        f"<main>\n{body}</main>\n"
        '<footer class="site-footer"><p>&copy; 2026 ScrapeFlow Test Shop. '
        f'<a href="{escape(EXTERNAL_URL)}" rel="external">Our partner</a></p></footer>\n'
        "</body>\n</html>\n"
    )


def json_ld(data: dict[str, Any]) -> str:
    # "</" would end the script element early; JSON lets us escape the slash.
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def render_home(catalog: Catalog, base_url: str) -> str:
    categories = "".join(f'<li><a href="{list_url(1, c.slug)}">{escape(c.name)}</a></li>\n' for c in catalog.categories)
    featured = [catalog.products[index % catalog.size] for index in range(8)]
    host = base_url.split("://", 1)[-1]
    # Every way a page links to a product that URL normalisation must fold back to product.path.
    hrefs = (
        f"{featured[0].path}?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
        f"{featured[1].path}?fbclid=IwAR0test&gclid=Cj0test",
        f"{featured[2].path}#reviews",
        featured[3].path.lstrip("/"),
        f"./products/../products/{featured[4].slug}.html",
        f"{base_url}{featured[5].path}",
        f"//{host}{featured[6].path}",
        f"{featured[7].path}?ref=home&utm_source=home#top",
    )
    cards = "".join(
        f'<li class="featured"><a href="{escape(href)}">{escape(product.title)}</a> '
        f'<span class="price">{escape(product.price_text)}</span></li>\n'
        for href, product in zip(hrefs, featured, strict=True)
    )
    body = (
        '<section class="hero"><h1>Welcome to the ScrapeFlow Test Shop</h1>\n'
        f"<p>{catalog.size} products in {len(catalog.categories)} categories.</p>\n"
        '<p><a class="all-products" href="/products?page=1">Browse all products</a> '
        '<a href="#top">Back to top</a></p></section>\n'
        f'<section class="categories"><h2>Categories</h2>\n<ul>\n{categories}</ul></section>\n'
        f'<section class="featured-products"><h2>Featured</h2>\n<ul>\n{cards}</ul></section>\n'
        '<section class="more"><h2>More</h2>\n<ul>\n'
        '<li><a href="table.html">Pricing table</a></li>\n'
        '<li><a href="/private/secret.html">Staff only</a></li>\n'
        f'<li><a href="{escape(EXTERNAL_URL)}">Partner shop</a></li>\n'
        '<li><a href="mailto:shop@example.org">Email us</a></li>\n'
        '<li><a href="tel:+15555550100">Call us</a></li>\n'
        '<li><a href="javascript:void(0)">Open chat</a></li>\n'
        "</ul></section>\n"
    )
    return layout(SHOP_NAME, body, canonical=f"{base_url}/")


def _card(product: Product, theme: Theme) -> str:
    old = (
        f' <del class="{theme.old_price_class}">{escape(product.list_price_text)}</del>'
        if product.list_price_text
        else ""
    )
    inner = (
        f'<{theme.card_title_tag} class="{theme.card_title_class}">'
        f'<a class="{theme.link_class}" href="{product.path}">{escape(product.title)}</a>'
        f"</{theme.card_title_tag}>\n"
        f'<{theme.price_tag} class="{theme.price_class}">{escape(product.price_text)}</{theme.price_tag}>{old}\n'
        f"{_rating_text(product, theme)}\n"
        f'<span class="{theme.stock_class}">{"In stock" if product.in_stock else "Out of stock"}</span>\n'
    )
    if theme.card_body_class:
        inner = f'<div class="{theme.card_body_class}">\n{inner}</div>\n'
    return f'<{theme.card_tag} class="{theme.card_class}" data-product-id="{product.id}">\n{inner}</{theme.card_tag}>\n'


def _rating_text(product: Product, theme: Theme) -> str:
    if product.review_count == 0:
        return f'<span class="{theme.rating_class}" data-rating="0">No reviews yet</span>'
    return (
        f'<span class="{theme.rating_class}" data-rating="{product.rating}">'
        f"{product.rating} out of 5 ({product.review_count} reviews)</span>"
    )


def _pagination(page: int, last: int, category: str | None, theme: Theme) -> str:
    parts = []
    if page > 1:
        parts.append(f'<a rel="prev" class="{theme.prev_class}" href="{list_url(page - 1, category)}">Previous</a>')
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    for index, number in enumerate(shown):
        if index and number - shown[index - 1] > 1:
            parts.append('<span class="gap">…</span>')
        if number == page:
            parts.append(f'<span class="current" aria-current="page">{number}</span>')
        else:
            parts.append(f'<a class="page" href="{list_url(number, category)}">{number}</a>')
    if page < last:
        parts.append(f'<a rel="next" class="{theme.next_class}" href="{list_url(page + 1, category)}">Next</a>')
    return f'<nav class="{theme.pagination_class}" aria-label="Pagination">\n' + "\n".join(parts) + "\n</nav>\n"


def render_list(catalog: Catalog, page: int, base_url: str, category: Category | None = None) -> str:
    """List page `page` of all products, or of one category; the caller checks that the page exists."""
    theme = get_theme(catalog.theme)
    slug = category.slug if category else None
    products = catalog.page(page, slug)
    total = len(catalog.products if slug is None else catalog.by_category[slug])
    first = (page - 1) * PER_PAGE + 1
    heading = category.name if category else "All products"
    cards = "".join(_card(product, theme) for product in products)
    body = (
        f"<h1>{escape(heading)}</h1>\n"
        f'<p class="result-count">Showing {first}–{first + len(products) - 1} of {total} products</p>\n'
        f'<{theme.list_tag} class="{theme.list_class}">\n{cards}</{theme.list_tag}>\n'
        f"{_pagination(page, catalog.page_count(slug), slug, theme)}"
    )
    title = f"{heading} – page {page}"
    return layout(title, body, canonical=f"{base_url}{list_url(page, slug)}")


def product_json_ld(product: Product, base_url: str) -> dict[str, Any]:
    availability = "InStock" if product.in_stock else "OutOfStock"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "sku": product.sku,
        "brand": {"@type": "Brand", "name": product.brand},
        "category": product.category.name,
        "description": " ".join(product.description),
        "url": f"{base_url}{product.path}",
        "offers": {
            "@type": "Offer",
            "price": str(product.price),
            "priceCurrency": product.currency,
            "availability": f"https://schema.org/{availability}",
            "url": f"{base_url}{product.path}",
        },
    }
    if product.review_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(product.rating),
            "bestRating": "5",
            "reviewCount": product.review_count,
        }
    return data


def render_product(catalog: Catalog, product: Product, base_url: str) -> str:
    theme = get_theme(catalog.theme)
    availability = "InStock" if product.in_stock else "OutOfStock"
    old = (
        f' <del class="{theme.old_price_class}">{escape(product.list_price_text)}</del>'
        if product.list_price_text
        else ""
    )
    if product.review_count:
        rating = (
            f'<div class="{theme.rating_class}" itemprop="aggregateRating" itemscope '
            'itemtype="https://schema.org/AggregateRating">'
            f'<span itemprop="ratingValue">{product.rating}</span> out of 5 – '
            f'<span itemprop="reviewCount">{product.review_count}</span> reviews</div>\n'
        )
    else:
        rating = f'<div class="{theme.rating_class}">No reviews yet</div>\n'
    paragraphs = "".join(f"<p>{escape(text)}</p>\n" for text in product.description)
    related = "".join(f'<li><a href="{p.path}">{escape(p.title)}</a></li>\n' for p in catalog.related(product))
    category_link = list_url(1, product.category.slug)
    body = (
        f'<nav class="{theme.breadcrumb_class}"><a href="/">Home</a> › '
        f'<a href="{category_link}">{escape(product.category.name)}</a> › <span>{escape(product.title)}</span></nav>\n'
        '<div class="product" itemscope itemtype="https://schema.org/Product">\n'
        f'<h1 class="{theme.title_class}" itemprop="name">{escape(product.title)}</h1>\n'
        f'<p class="brand">by <span itemprop="brand">{escape(product.brand)}</span></p>\n'
        '<div class="offer" itemprop="offers" itemscope itemtype="https://schema.org/Offer">\n'
        f'<{theme.price_tag} class="{theme.price_class}">{escape(product.price_text)}</{theme.price_tag}>{old}\n'
        f'<meta itemprop="price" content="{product.price}">\n'
        f'<meta itemprop="priceCurrency" content="{product.currency}">\n'
        f'<link itemprop="availability" href="https://schema.org/{availability}">\n'
        f'<span class="{theme.stock_class}">{"In stock" if product.in_stock else "Out of stock"}</span>\n'
        f"</div>\n{rating}"
        f'<div class="{theme.description_class}" itemprop="description">\n{paragraphs}</div>\n'
        '<dl class="specs">\n'
        f'<dt>SKU</dt><dd class="sku" itemprop="sku">{product.sku}</dd>\n'
        f"<dt>Category</dt><dd>{escape(product.category.name)}</dd>\n"
        "</dl>\n</div>\n"
        '<section id="reviews"><h2>Reviews</h2>\n'
        f"<p>{product.review_count} customers reviewed this product.</p></section>\n"
        f'<aside class="related"><h2>You may also like</h2>\n<ul>\n{related}</ul></aside>\n'
        f'<p><a class="back" href="{list_url(catalog.page_of(product))}">Back to the list</a></p>\n'
    )
    head = (
        f'<meta property="og:title" content="{escape(product.title)}">\n<meta property="og:type" content="product">\n'
    )
    head += json_ld(product_json_ld(product, base_url))
    return layout(product.title, body, canonical=f"{base_url}{product.path}", head=head)


def render_table(catalog: Catalog) -> str:
    plans = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>\n" for row in PRICING_PLANS)
    top = sorted(catalog.products, key=lambda p: (-p.rating, -p.review_count, p.id))[:10]
    rows = "".join(
        f'<tr><td><a href="{p.path}">{escape(p.title)}</a></td><td>{escape(p.price_text)}</td>'
        f"<td>{p.rating}</td><td>{p.review_count}</td></tr>\n"
        for p in top
    )
    body = (
        "<h1>Pricing</h1>\n"
        '<table class="pricing" id="pricing">\n<caption>Plans</caption>\n'
        "<thead><tr><th>Plan</th><th>Price / month</th><th>Pages / month</th><th>Concurrent bots</th>"
        "<th>Support</th></tr></thead>\n"
        f"<tbody>\n{plans}</tbody>\n"
        '<tfoot><tr><td colspan="5">Prices exclude VAT.</td></tr></tfoot>\n</table>\n'
        "<h2>Top rated</h2>\n"
        '<table class="top-rated" id="top-rated">\n'
        "<thead><tr><th>Product</th><th>Price</th><th>Rating</th><th>Reviews</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n"
    )
    return layout("Pricing", body)


def render_message(title: str, message: str) -> str:
    """A plain page: the 404 page, the disallowed private page and the special endpoints' answers."""
    return layout(title, f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n")
