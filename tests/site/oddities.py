"""Awkward documents: malformed HTML, legacy encodings, binary bytes, a page over the size limit and a hostile one."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from html import escape

from tests.site.catalog import Product

LATIN1_TITLE = "Crème brûlée à la française"
LATIN1_TEXT = "Käsespätzle, smørrebrød, jamón ibérico: £12.50 (½ price!) «naïve» façade ©2026"
SHIFT_JIS_TITLE = "木製デスクランプ"
SHIFT_JIS_TEXT = "価格: 3,980円 (税込)。在庫あり。"
HUGE_SIZE = 13 * 1024 * 1024  # over the engine's 12 MB page limit
BINARY_SIZE = 64 * 1024


def render_malformed(product: Product) -> bytes:
    """Unclosed and misnested tags, stray end tags, raw ampersands: a parser must still find h1 and .price."""
    title = escape(product.title)
    return (
        "<!DOCTYPE html>\n<HTML>\n<head>\n<meta charset=utf-8>\n"
        f"<title>{title} | ScrapeFlow Test Shop</title>\n"
        "<BODY class=product-page>\n</div>\n</span>\n"
        '<div class="product">\n'
        f'<h1 class="product-title">{title}</h1>\n'
        "<p class=intro><b>Bold <i>and italic</b> still italic</i> Tom & Jerry &copy 2026\n"
        f'<div class="offer"><span class="price">{escape(product.price_text)}</span>\n'
        "<p>Free shipping<p>Easy returns\n"
        "<ul class=features><li>Sturdy<li>Light<li>Cheap</ul>\n"
        '<table class=specs><tr><td>SKU<td class="sku">' + product.sku + "<tr><td>Stock<td>In stock</table>\n"
        f'<div class="description"><p>{escape(product.description[0])}\n'
        '<img src="/missing.png" alt=unquoted title="one" title="duplicate">\n'
        f'<a href="{product.path}">Self link<a href="/">nested link</a>\n'
        "</span></p></p></div></div></div></div>\n"
        "</body>\n<p class=after-body>Text after the body end tag</p>\n</html>\n"
        "<!-- a comment that never closes\n"
    ).encode()


def render_latin1(with_meta: bool) -> bytes:
    """An ISO-8859-1 page whose HTTP header names no charset: the meta tag is the only clue, or there is none."""
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\n' if with_meta else ""
    html = (
        f"<!DOCTYPE html>\n<html>\n<head>\n{meta}<title>{LATIN1_TITLE}</title>\n</head>\n<body>\n"
        f'<h1>{LATIN1_TITLE}</h1>\n<p class="text">{LATIN1_TEXT}</p>\n'
        "<p>Les crêpes sont délicieuses. Größere Portionen für hungrige Gäste.</p>\n</body>\n</html>\n"
    )
    return html.encode("iso-8859-1")


def render_shift_jis() -> bytes:
    html = (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="Shift_JIS">\n'
        f"<title>{SHIFT_JIS_TITLE}</title>\n</head>\n<body>\n"
        f'<h1>{SHIFT_JIS_TITLE}</h1>\n<p class="text">{SHIFT_JIS_TEXT}</p>\n</body>\n</html>\n'
    )
    return html.encode("shift_jis")


def render_binary(seed: int) -> bytes:
    return random.Random(f"scrapeflow-site:{seed}:binary").randbytes(BINARY_SIZE)


def huge_chunks(total: int = HUGE_SIZE, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """An HTML page of exactly `total` bytes (at least a few hundred), in chunks, never held whole in memory."""
    head = b"<!DOCTYPE html>\n<html><head><title>Huge page</title></head><body>\n<h1>Huge page</h1>\n"
    tail = b"</body></html>\n"
    filler = b"<p>" + b"ScrapeFlow filler text. " * 40 + b"</p>\n"
    block = filler * (chunk_size // len(filler) + 1)
    yield head
    remaining = total - len(head) - len(tail)
    while remaining > 0:
        piece = block[: min(chunk_size, remaining)]
        remaining -= len(piece)
        yield piece
    yield tail


# A page that fights whoever shows it: scripts that rewrite and redirect, inline handlers, a meta refresh and a
# CSP, a cross-origin frame, SVG, a shadow root, and a stylesheet and image of its own (the in-app picker shows
# it inert, with its look).
HOSTILE_TITLE = "Deals of the day"
SITE_CSS = b".deal{border:1px solid #ccc;background:url(/assets/dot.png) no-repeat}\n@import '/assets/extra.css';\n"
EXTRA_CSS = b".deal .price{font-weight:bold}\n"


def _png_pixel() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


DOT_PNG = _png_pixel()


def render_hostile(product: Product) -> str:
    title = escape(product.title)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{HOSTILE_TITLE}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<meta http-equiv="refresh" content="5;url=https://example.com/">
<link rel="stylesheet" href="/assets/site.css"><link rel="preload" href="/assets/font.woff2" as="font">
<script>document.addEventListener("DOMContentLoaded", () => document.body.innerHTML = "gone");</script>
<script src="/assets/tracker.js"></script>
</head><body onload="location.href='https://example.com/'">
<h1>{HOSTILE_TITLE}</h1>
<ul class="deals">
  <li class="deal css-1x2y3z" data-sku="{escape(product.sku)}">
    <a href="{product.path}" onclick="return steal()">{title}</a>
    <span class="price sc-a1b2c3">{product.price_text}</span><img src="/assets/dot.png" alt=""></li>
</ul>
<a href="javascript:alert(1)">Do not click</a>
<iframe src="https://ads.example.com/frame"></iframe>
<svg class="badge" viewBox="0 0 10 10"><text x="0" y="9">New</text></svg>
<div id="host"><template shadowrootmode="open"><p class="inside">In the shadow</p></template></div>
<form action="https://example.com/collect"><label>Email <input name="email"></label><button>Send</button></form>
</body></html>"""
