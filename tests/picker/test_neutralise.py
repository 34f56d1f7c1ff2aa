"""The neutralised copy keeps the page's element tree (so picked selectors hold on the real page) and runs
nothing, loads nothing directly and navigates nowhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser

from scrapeflow.picker.links import resource_link
from scrapeflow.picker.neutralise import neutralise, rewrite_css
from tests.conftest import make_settings
from tests.site.catalog import Catalog
from tests.site.documents import SiteDocuments

BASE = "https://shop.test/deals/today.html"


def through(url: str) -> str:
    return "/r?u=" + url


def test_every_selector_matches_the_same_elements_after_neutralising() -> None:
    documents = SiteDocuments(Catalog(size=60), "https://shop.test")
    for path in ("/products", "/hostile.html", "/table.html", documents.catalog.products[0].path):
        document = documents.get(path)
        assert document is not None
        html = document.body.decode()
        before, after = LexborHTMLParser(html), LexborHTMLParser(neutralise(html, BASE, through))
        for selector in ("*", "a", "li:nth-child(1)", "div > *", "span:nth-of-type(1)", "body > *", "h1, h2"):
            assert [n.tag for n in before.css(selector)] == [n.tag for n in after.css(selector)], (path, selector)


def test_scripts_handlers_and_navigation_are_disabled() -> None:
    html = SiteDocuments(Catalog(size=10), "https://shop.test").get("/hostile.html")
    assert html is not None
    tree = LexborHTMLParser(neutralise(html.body.decode(), BASE, through))
    scripts = tree.css("script")
    assert len(scripts) == 2
    assert all(s.attributes.get("type") == "text/plain" and not s.text() and "src" not in s.attributes for s in scripts)
    assert not [(n.tag, name) for n in tree.css("*") for name in n.attributes if name.lower().startswith("on")], (
        "an event handler survived"
    )
    assert not [n for n in tree.css("a") if (n.attributes.get("href") or "").startswith("javascript:")]
    assert [meta.attributes.get("http-equiv") for meta in tree.css("meta[content]")] == [None, None]
    assert "src" not in tree.css_first("iframe").attributes
    assert "action" not in tree.css_first("form").attributes
    assert tree.css_first("link[rel=preload]").attributes.get("href") is None


def test_resources_go_through_the_guarded_fetch_and_links_are_absolute() -> None:
    html = """<html><head><base href="/shop/"><link rel="stylesheet" href="s.css">
    <style>.a{background:url('bg.png')} .b{background:url(data:image/png;base64,AAAA)}</style></head>
    <body><a href="p/1">P</a><a href="#top">Top</a><img src="i.png" srcset="a.png 1x, b.png 2x">
    <div style="background-image:url(c.png)"></div><svg><image href="d.png"/></svg></body></html>"""
    tree = LexborHTMLParser(neutralise(html, BASE, through))
    assert tree.css_first("base").attributes == {}
    assert tree.css_first("link").attributes["href"] == "/r?u=https://shop.test/shop/s.css"
    style = tree.css_first("style").text()
    assert 'url("/r?u=https://shop.test/shop/bg.png")' in style and "data:image/png" in style
    assert [a.attributes["href"] for a in tree.css("a")] == ["https://shop.test/shop/p/1", "#top"]
    img = tree.css_first("img")
    assert img.attributes["src"] == "/r?u=https://shop.test/shop/i.png"
    assert img.attributes["srcset"] == "/r?u=https://shop.test/shop/a.png 1x, /r?u=https://shop.test/shop/b.png 2x"
    assert "/r?u=https://shop.test/shop/c.png" in (tree.css_first("div").attributes["style"] or "")


def test_stylesheet_imports_and_urls_are_rewritten() -> None:
    css = "@import 'more.css';\n.x{background:url(\"img/x.png\")}\n.y{background:url(#frag)}"
    rewritten = rewrite_css(css, "https://shop.test/css/site.css", lambda url: "/r?" + url)
    assert '@import url("/r?https://shop.test/css/more.css")' in rewritten
    assert 'url("/r?https://shop.test/css/img/x.png")' in rewritten
    assert "url(#frag)" in rewritten


def test_a_link_target_survives_as_a_query_value(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://")
    link = resource_link(settings, "https://shop.test/a b.png?x=1&y=2")
    assert parse_qs(urlsplit(link).query)["url"] == ["https://shop.test/a b.png?x=1&y=2"]
