"""Turning extracted text into typed values: numbers, prices with currency, dates, URLs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from dateutil import parser as date_parser

_NUMBER = re.compile(r"[-+]?\d[\d\s.,'\u00a0\u202f]*")
_CURRENCY_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₩": "KRW",
    "₹": "INR",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "R$": "BRL",
    "C$": "CAD",
    "A$": "AUD",
    "CHF": "CHF",
    "zł": "PLN",
    "kr": "SEK",
}
_ISO_CODE = re.compile(r"\b(USD|EUR|GBP|JPY|KRW|INR|CAD|AUD|CHF|CNY|SEK|NOK|DKK|PLN|BRL|MXN|RUB|TRY|ILS)\b")


def _normalise_digits(raw: str, decimal: str | None) -> str:
    digits = re.sub(r"[\s'\u00a0\u202f]", "", raw).rstrip(".,")
    if decimal is None:
        last_dot, last_comma = digits.rfind("."), digits.rfind(",")
        if last_dot >= 0 and last_comma >= 0:
            decimal = "." if last_dot > last_comma else ","
        elif last_comma >= 0:
            # "1,234" and "1,234,567" group thousands; "12,5" and "0,99" are decimals.
            groups = digits.split(",")
            decimal = "" if all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3 else ","
        elif digits.count(".") > 1:
            decimal = ""
        else:
            decimal = "."
    thousands = {",": ".", ".": ","}.get(decimal, "")
    if thousands:
        digits = digits.replace(thousands, "")
    if decimal == ",":
        digits = digits.replace(",", ".")
    elif decimal == "":
        digits = digits.replace(",", "").replace(".", "")
    return digits


def parse_number(text: Any, decimal: str | None = None) -> float | int | None:
    """The first number in the text: '1,234.50' → 1234.5, '1.234,50 €' → 1234.5, '4.5 out of 5' → 4.5."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return text
    if not isinstance(text, str):
        return None
    match = _NUMBER.search(text)
    if match is None:
        return None
    digits = _normalise_digits(match.group(0).strip(), decimal)
    try:
        value = float(digits)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in digits else value


def parse_currency(text: str) -> str | None:
    code = _ISO_CODE.search(text)
    if code:
        return code.group(1)
    for symbol in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True):
        if symbol in text:
            return _CURRENCY_SYMBOLS[symbol]
    return None


def parse_price(text: Any, default_currency: str | None = None) -> tuple[float | int | None, str | None]:
    if not isinstance(text, str):
        return parse_number(text), default_currency
    return parse_number(text), parse_currency(text) or default_currency


def parse_date(text: Any, fmt: str | None = None) -> str | None:
    """ISO 8601: a date ('2024-03-01') or, when the page gives a time, a datetime."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = datetime.strptime(text.strip(), fmt) if fmt else date_parser.parse(text, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    has_time = parsed.hour or parsed.minute or parsed.second or parsed.tzinfo is not None
    return parsed.isoformat() if has_time else parsed.date().isoformat()


def absolute_url(value: Any, base_url: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    href = value.strip()
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
        return None
    return urljoin(base_url, href)
