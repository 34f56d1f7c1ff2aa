"""SSRF guard: refuses URLs and connections that reach private, loopback, link-local, metadata or other
non-public addresses, unless the operator allowlisted the host or network (the FETCH_ALLOWLIST setting)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import idna

from scrapeflow.engine.errors import EngineError, ErrorCode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": 80, "https": 443}

# `is_global` already excludes most special ranges; these are named because they are the usual SSRF
# targets (cloud metadata) or because Python classifies them as neither private nor global (CGNAT).
_ALWAYS_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # shared address space (carrier-grade NAT), often a provider's internal network
        "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack metadata
        "192.0.0.0/24",  # IETF protocol assignments, includes Oracle Cloud metadata 192.0.0.192
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)
# NAT64 prefixes embed an IPv4 address that the gateway connects to: judge that address instead.
_NAT64: tuple[ipaddress.IPv6Network, ...] = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)

_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_NAME_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def _invalid(host: str, url: str | None = None) -> EngineError:
    return EngineError(
        ErrorCode.INVALID_URL,
        f"“{host}” is not a valid web address. Check the URL for typos.",
        url=url,
    )


def _blocked(host: str, url: str | None = None) -> EngineError:
    return EngineError(
        ErrorCode.BLOCKED_BY_POLICY,
        f"ScrapeFlow does not fetch {host} because it points to a private or internal network address. "
        "If this site is on your own network, ask your administrator to add it to FETCH_ALLOWLIST.",
        url=url,
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (6to4, Teredo, IPv4-compatible), which may be private."""
    embedded: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip.teredo is not None:
        embedded.extend(ip.teredo)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        embedded.append(ipaddress.IPv4Address(int(ip)))
    return embedded


def is_forbidden_address(ip: IPAddress) -> bool:
    """True when the address is not a public unicast address on the internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        # These two *are* the IPv4 address to the network stack, so the IPv4 verdict is the verdict.
        if ip.ipv4_mapped is not None:
            return is_forbidden_address(ip.ipv4_mapped)
        if any(ip in network for network in _NAT64):
            return is_forbidden_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(is_forbidden_address(inner) for inner in _embedded_ipv4(ip)):
            return True
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return True
    return any(ip in network for network in _ALWAYS_BLOCKED)


def _parse_ipv4_number(label: str) -> int | None:
    """One dotted part the way inet_aton (and browsers) read it: 0x hex, leading-zero octal, or decimal."""
    if label[:2] in ("0x", "0X"):
        digits = label[2:]
        return int(digits, 16) if digits else 0
    if len(label) > 1 and label[0] == "0":
        return int(label, 8) if all(c in "01234567" for c in label) else None
    return int(label) if label.isascii() and label.isdigit() else None


def _parse_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    if len(labels) > 4 or any(not label for label in labels):
        return None
    numbers = []
    for label in labels:
        number = _parse_ipv4_number(label)
        if number is None:
            return None
        numbers.append(number)
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


@lru_cache(maxsize=4096)  # a crawl asks about the same few hosts for every page
def parse_host(raw: str) -> str | IPAddress:
    """The canonical form of a URL host: an IP address for every spelling of one (2130706433, 0177.0.0.1,
    0x7f.1, [::1], fullwidth digits), otherwise a lowercase ASCII (IDNA) name without a trailing dot.

    Raises EngineError(INVALID_URL) for hosts a browser would refuse too.
    """
    host = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    host = unquote(host)
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid(raw) from None
    try:
        if not host.isascii() or host != host.lower():
            # UTS 46 mapping folds case, fullwidth digits and ideographic dots, so it must run before
            # deciding whether the host is a number.
            host = idna.uts46_remap(host, std3_rules=False, transitional=False)
        if host.endswith("."):
            host = host[:-1]
        labels = host.split(".")
        if _NUMERIC_LABEL.fullmatch(labels[-1]):
            address = _parse_ipv4(labels)
            if address is None:
                raise _invalid(raw)
            return address
        if not host.isascii():
            host = idna.encode(host, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise _invalid(raw) from None
    if len(host) > 253 or not all(_NAME_LABEL.fullmatch(label) for label in host.split(".")):
        raise _invalid(raw)
    return host


@dataclass(frozen=True, slots=True)
class FetchAllowlist:
    """Hosts and networks the operator lets the engine reach even though they are not public."""

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, value: str | Iterable[str] | None) -> FetchAllowlist:
        """Reads the FETCH_ALLOWLIST format: comma-separated host names (`*.corp.example` for a whole
        domain), IP addresses and CIDR networks. Raises ValueError on an entry that is none of these."""
        items = value.split(",") if isinstance(value, str) else list(value or ())
        hosts: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for item in (raw.strip() for raw in items):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.replace("[", "").replace("]", ""), strict=False))
                continue
            except ValueError:
                pass
            wildcard = item.startswith(("*.", "."))
            try:
                host = parse_host(item.lstrip("*."))
            except EngineError:
                raise ValueError(f"FETCH_ALLOWLIST entry {item!r} is not a host name, IP address or network") from None
            if not isinstance(host, str):
                networks.append(ipaddress.ip_network(host))
            elif wildcard:
                suffixes.append("." + host)
            else:
                hosts.add(host)
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host in self.hosts or (bool(self.suffixes) and host.endswith(self.suffixes))

    def allows_address(self, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == network.version and ip in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class Target:
    """A URL that passed the lexical checks, rebuilt from its canonical parts so that the host we
    checked is the host the HTTP client connects to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress | None
    origin: str  # scheme://host[:port], the key robots.txt rules apply to


class SsrfGuard:
    """Applies the address policy to URLs (before each request and each redirect) and to the addresses
    a host name resolves to (at connect time, so DNS rebinding cannot slip past the URL check)."""

    def __init__(self, allowlist: FetchAllowlist | None = None) -> None:
        self.allowlist = allowlist or FetchAllowlist()

    def address_allowed(self, ip: IPAddress) -> bool:
        return not is_forbidden_address(ip) or self.allowlist.allows_address(ip)

    def check_url(self, url: str) -> Target:
        """Validates scheme and host; refuses IP literals in forbidden ranges. Names are judged at connect time."""
        text = url.strip()
        try:
            parts = urlsplit(text)
            explicit_port = parts.port
        except ValueError:
            raise _invalid(text, text) from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise EngineError(
                ErrorCode.INVALID_URL,
                f"“{text}” is not a web page address. Only http:// and https:// addresses can be fetched.",
                url=text,
            )
        if not parts.hostname or "\\" in parts.netloc:
            raise _invalid(text, text)
        try:
            host = parse_host(parts.hostname)
        except EngineError as exc:
            exc.url = text
            raise
        address = None if isinstance(host, str) else host
        if address is not None and not self.address_allowed(address):
            shown = parts.hostname if parts.hostname == str(address) else f"{parts.hostname} ({address})"
            raise _blocked(shown, text)
        if isinstance(address, ipaddress.IPv6Address):
            host_text = str(address)
            netloc_host = "[" + host_text.replace("%", "%25") + "]"
        else:
            host_text = str(host)
            netloc_host = host_text
        port = explicit_port if explicit_port is not None else _DEFAULT_PORTS[scheme]
        if explicit_port is not None and explicit_port != _DEFAULT_PORTS[scheme]:
            netloc_host += f":{explicit_port}"
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if userinfo else "") + netloc_host
        rebuilt = f"{scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        return Target(rebuilt, scheme, host_text, port, address, f"{scheme}://{netloc_host}")

    async def vetted_addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`, all of them allowed; raises BLOCKED_BY_POLICY if any is
        not (a name that resolves to both a public and a private address is treated as hostile)."""
        parsed = parse_host(host)
        if not isinstance(parsed, str):
            if not self.address_allowed(parsed):
                raise _blocked(host)
            return [str(parsed)]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parsed, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise EngineError(
                ErrorCode.NAVIGATION_ERROR,
                f"The site {host} could not be found. Check the address for typos, or try again later.",
                retryable=exc.errno == socket.EAI_AGAIN,
                detail=str(exc),
            ) from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.allowlist.allows_name(parsed):
            for address in addresses:
                if not self.address_allowed(ipaddress.ip_address(address)):
                    raise _blocked(host)
        return addresses

    async def check_resolved(self, target: Target) -> None:
        """Resolves and vets a target's host ahead of time, for requests the proxy (not we) will connect."""
        if target.address is None:
            await self.vetted_addresses(target.host, target.port)
