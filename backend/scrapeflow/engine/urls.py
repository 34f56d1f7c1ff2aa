"""URL normalisation for deduplication, and the include/exclude and same-site rules of discovery."""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that only track where a visitor came from; two URLs differing only in these are one page.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_ga", "ref_src"}
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def normalise(url: str, base: str | None = None) -> str | None:
    """Absolute, lower-case scheme and host, default port dropped, fragment dropped, query sorted
    without tracking parameters. Returns None for what is not an http(s) page address."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def site_of(url: str) -> str:
    """The registrable-ish site of a URL: its host without a leading `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def same_site(url: str, start: str) -> bool:
    host, start_host = site_of(url), site_of(start)
    return host == start_host or host.endswith(f".{start_host}")


def matches(url: str, include: list[str], exclude: list[str]) -> bool:
    """Globs match the whole URL (`*/products/*`) or its path (`/blog/*`)."""
    path = urlsplit(url).path

    def hit(pattern: str) -> bool:
        return fnmatchcase(url, pattern) or (pattern.startswith("/") and fnmatchcase(path, pattern))

    if any(hit(pattern) for pattern in exclude):
        return False
    return not include or any(hit(pattern) for pattern in include)
