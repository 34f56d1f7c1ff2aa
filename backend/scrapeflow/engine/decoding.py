"""Which responses the HTML extractors accept, and how their bytes become text: BOM, HTTP header,
<meta> declaration, then sniffing."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_TEXT_MEDIA_TYPES = frozenset(
    {
        "application/xhtml+xml",
        "application/xml",
        "application/json",
        "application/ld+json",
        "application/javascript",
        "application/ecmascript",
        "application/rss+xml",
        "application/atom+xml",
        "application/x-www-form-urlencoded",
    }
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# PDF, PNG, GIF, JPEG, ZIP (and Office files), gzip, RIFF (WebP, WAV, AVI), ICO
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:+-]+)""", re.IGNORECASE)
# The legacy encodings browsers know (WHATWG Encoding), so sniffing never picks an exotic code page.
_WEB_ENCODINGS = [
    "utf_8", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "cp874", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u",
    "gb18030", "big5", "shift_jis", "euc_jp", "iso2022_jp", "euc_kr",
]  # fmt: skip
# How much more "chaos" we accept from windows-1252 than from the best guess before preferring it: on
# short Western text the detector's top pick is often a neighbouring code page that decodes to the same
# letters except the accented ones.
_CP1252_TOLERANCE = 0.02
_META_SCAN_BYTES = 8192
_SNIFF_BYTES = 65536


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_textual(media: str) -> bool:
    """Text the extractors can read; an empty media type is decided later by sniffing the body."""
    return not media or media.startswith("text/") or media in _TEXT_MEDIA_TYPES or media.endswith(("+xml", "+json"))


def looks_binary(prefix: bytes) -> bool:
    """For responses without a usable Content-Type: known file signatures, or NUL bytes, mean not text."""
    if prefix.startswith(_BINARY_MAGIC):
        return True
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in prefix[:1024]


def _codec(label: str | None, *, from_meta: bool = False) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    # Browsers read latin-1 and ASCII labels as windows-1252, and pages rely on it (curly quotes, €).
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    # A <meta> can't truthfully declare UTF-16/32: the parser that read it was ASCII-compatible.
    if from_meta and name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return name


def header_charset(content_type: str | None) -> str | None:
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return _codec(value)
    return None


def detect_encoding(content: bytes, content_type: str | None) -> tuple[str, int]:
    """The encoding to decode with and how many leading bytes (a BOM) to skip.

    A BOM wins over the header, as in browsers: it can't be there by accident, while mislabelled
    headers are common.
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name, len(bom)
    declared = header_charset(content_type)
    if declared:
        return declared, 0
    match = _META_CHARSET.search(content, 0, _META_SCAN_BYTES)
    meta = _codec(match.group(1).decode("ascii"), from_meta=True) if match else None
    if meta:
        return meta, 0
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return _sniff(content[:_SNIFF_BYTES]), 0
    return "utf-8", 0


def _sniff(sample: bytes) -> str:
    matches = from_bytes(sample, cp_isolation=_WEB_ENCODINGS)
    best = matches.best()
    if best is None:
        return "cp1252"
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos + _CP1252_TOLERANCE:
            return "cp1252"
    return _codec(best.encoding) or "cp1252"


def decode_document(content: bytes, content_type: str | None) -> tuple[str, str]:
    """The text of a document and the encoding it was read with; undecodable bytes become U+FFFD."""
    encoding, skip = detect_encoding(content, content_type)
    return content[skip:].decode(encoding, errors="replace"), encoding
