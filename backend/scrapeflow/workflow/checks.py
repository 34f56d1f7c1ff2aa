"""Checks of user-written expressions: URLs, CSS and XPath selectors, regular expressions."""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import urlsplit

import idna
import regex
from cssselect import GenericTranslator, SelectorError
from lxml import etree

MAX_URL_LENGTH = 2048
_css = GenericTranslator()
_UNBOUNDED = sre_parse.MAXREPEAT


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host; international domain names are accepted."""
    url = value.strip()
    if not url:
        raise ValueError("Enter a web address, like https://example.com/products.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"This web address is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid web address.") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        if not parts.scheme:
            raise ValueError(f"{url!r} is not a full web address; it must start with https:// or http://.")
        raise ValueError(f"Only http:// and https:// addresses can be scraped, not {parts.scheme}://.")
    host = parts.hostname
    if not host:
        raise ValueError(f"{url!r} has no website name after {parts.scheme}://.")
    if any(ord(char) > 127 for char in host):
        try:
            idna.encode(host, uts46=True)
        except idna.IDNAError as exc:
            raise ValueError(f"{host!r} is not a valid international domain name.") from exc
    if port == 0:
        raise ValueError(f"{url!r} has an invalid port.")
    return url


def check_css(selector: str) -> str:
    selector = selector.strip()
    if not selector:
        raise ValueError("Enter a CSS selector, like h1 or .price.")
    try:
        _css.css_to_xpath(selector)
    except (SelectorError, NotImplementedError) as exc:
        raise ValueError(f"{selector!r} is not a valid CSS selector ({exc}).") from exc
    return selector


def check_xpath(expression: str) -> str:
    expression = expression.strip()
    if not expression:
        raise ValueError("Enter an XPath expression, like //h1.")
    try:
        etree.XPath(expression)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"{expression!r} is not a valid XPath expression ({exc}).") from exc
    return expression


def check_json_ld_path(path: str) -> str:
    path = path.strip()
    if not path or not all(part.replace("@", "").replace("_", "").isalnum() for part in path.split(".")):
        raise ValueError(f"{path!r} is not a JSON-LD path; write it like Product.offers.price.")
    return path


def check_selector(selector: str, selector_type: str) -> str:
    if selector_type == "xpath":
        return check_xpath(selector)
    if selector_type == "jsonld":
        return check_json_ld_path(selector)
    return check_css(selector)


def _has_unbounded_repeat(items: Any) -> bool:
    for op, argument in items:
        if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            _low, high, inner = argument
            if high is _UNBOUNDED or _has_unbounded_repeat(inner):
                return True
        elif _subpatterns_have(argument, _has_unbounded_repeat):
            return True
    return False


def _subpatterns_have(argument: Any, predicate: Any) -> bool:
    if isinstance(argument, sre_parse.SubPattern):
        return bool(predicate(argument))
    if isinstance(argument, (tuple, list)):
        return any(_subpatterns_have(item, predicate) for item in argument)
    return False


def _nested_quantifier(items: Any) -> bool:
    """True when an unbounded repeat wraps something that can itself repeat: (a+)+, (a*)*, (a|a+)*."""
    for op, argument in items:
        if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            _low, high, inner = argument
            if high is _UNBOUNDED and _has_unbounded_repeat(inner):
                return True
            if _nested_quantifier(inner):
                return True
        elif _subpatterns_have(argument, _nested_quantifier):
            return True
    return False


def check_regex(pattern: str) -> str:
    """A pattern that compiles and cannot backtrack catastrophically (nested unbounded quantifiers)."""
    if len(pattern) > 1000:
        raise ValueError("This pattern is longer than 1000 characters.")
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"{pattern!r} is not a valid pattern ({exc}).") from exc
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return pattern  # valid for the `regex` engine only; the runtime time limit still applies
    if _nested_quantifier(parsed):
        raise ValueError(
            f"{pattern!r} could take forever on some pages (a repeated group that itself repeats, like (a+)+); "
            "simplify it."
        )
    return pattern
