"""Artifact storage: page snapshots and other large payloads that never ride the broker.

A local folder (`$DATA_DIR/artifacts`, single-machine mode) or any S3-compatible store (`ARTIFACTS_URL=
s3://bucket/prefix`, with `S3_ENDPOINT_URL` for MinIO, R2, …). Keys are relative paths such as
`executions/<execution>/snapshots/<pack>.gz`; bodies are stored gzip-compressed.

Many small artifacts written together (a scrape group's page snapshots) go into one object, a *pack*: the
bodies one after another, compressed as one gzip stream, so `zcat` shows every page. Each body's key is the
pack's key with the body's range in the uncompressed stream, `<pack key>#<offset>:<length>`. One file or one
PUT per group of pages instead of one per page; and pages of one site share most of their markup, so a pack
compresses about 3× smaller, and about 2.5× faster, than the same pages compressed one by one (250 product
pages of the test shop: 142 KB against 430 KB, 4.6 ms against 12.4 ms). A body is read by unpacking its whole
pack; the store keeps the packs it read last, unpacked, because a pack's pages are read together
(re-extraction, AI extraction).
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from scrapeflow.config import Settings


class ArtifactStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def put_pack(self, key: str, bodies: Sequence[bytes]) -> list[str]:
        """Store several artifacts as one object under `key`; the key of each body, in order."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored bytes (one body of a pack for a pack's member key); FileNotFoundError when there are none."""
        ...

    async def delete_prefix(self, prefix: str) -> None: ...


UNPACKED_BUDGET = 32 * 1024 * 1024
"""Bytes of unpacked packs a store keeps for the next reads (a pack is at most FLUSH_EVERY_BYTES, 8 MiB, plus
one page)."""


def pack_keys(key: str, bodies: Sequence[bytes]) -> list[str]:
    """Each body's key in the pack `key` (known before the pack is written)."""
    keys, offset = [], 0
    for body in bodies:
        keys.append(f"{key}#{offset}:{len(body)}")
        offset += len(body)
    return keys


def _member(key: str) -> tuple[str, tuple[int, int] | None]:
    """A key's object and, for a pack's member, its (offset, length)."""
    name, hashmark, span = key.partition("#")
    if not hashmark:
        return key, None
    offset, colon, length = span.partition(":")
    if not (colon and offset.isdigit() and length.isdigit()):
        raise ValueError(f"bad artifact key {key!r}")
    return name, (int(offset), int(length))


def _safe(key: str) -> str:
    parts = [part for part in key.split("/") if part]
    if not parts or any(part in {".", ".."} for part in parts):
        raise ValueError(f"bad artifact key {key!r}")
    return "/".join(parts)


class _Store(ABC):
    """Compression, packs, member keys and the unpacked packs kept for the next reads; a store writes and reads
    whole objects (in a thread: zlib, which releases the GIL for a whole pack at once, and file or network I/O
    let the event loop run meanwhile)."""

    def __init__(self) -> None:
        self._unpacked: OrderedDict[str, bytes] = OrderedDict()  # least recently read first
        self._unpacking: dict[str, asyncio.Future[bytes]] = {}

    @abstractmethod
    def _write(self, key: str, body: bytes) -> None: ...

    @abstractmethod
    def _read(self, key: str) -> bytes: ...

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(lambda: self._write(key, gzip.compress(data, compresslevel=1)))

    async def put_pack(self, key: str, bodies: Sequence[bytes]) -> list[str]:
        await self.put(key, b"".join(bodies))
        return pack_keys(key, bodies)

    async def get(self, key: str) -> bytes:
        name, span = _member(key)
        if span is None:
            return await self._load(name)
        pack = await self._unpack(name)
        offset, length = span
        if offset + length > len(pack):
            raise ValueError(f"bad artifact key {key!r}: the pack holds {len(pack)} bytes")
        return pack[offset : offset + length]

    async def _load(self, name: str) -> bytes:
        return await asyncio.to_thread(lambda: gzip.decompress(self._read(name)))

    async def _unpack(self, name: str) -> bytes:
        """The pack, unpacked: from the packs read last, else read once however many pages ask at a time."""
        if (pack := self._unpacked.get(name)) is not None:
            self._unpacked.move_to_end(name)
            return pack
        loading = self._unpacking.get(name)
        if loading is None:
            loading = self._unpacking[name] = asyncio.ensure_future(self._load(name))
            loading.add_done_callback(lambda _: self._unpacking.pop(name, None))
        pack = await asyncio.shield(loading)  # a reader that gives up does not cancel the others' read
        if len(pack) <= UNPACKED_BUDGET and name not in self._unpacked:
            self._unpacked[name] = pack
            held = sum(map(len, self._unpacked.values()))
            while held > UNPACKED_BUDGET:
                held -= len(self._unpacked.popitem(last=False)[1])
        return pack

    def _forget(self, prefix: str) -> None:
        for name in [name for name in self._unpacked if name.startswith(prefix.rstrip("/") + "/")]:
            del self._unpacked[name]


class LocalArtifacts(_Store):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe(key)

    def _write(self, key: str, body: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(body)
        partial.replace(path)  # readers never see half a file

    def _read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    async def delete_prefix(self, prefix: str) -> None:
        self._forget(prefix)
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), True)


class S3Artifacts(_Store):
    """Through boto3 (its calls run in threads); any S3-compatible endpoint."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3

        super().__init__()
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{_safe(key)}" if self.prefix else _safe(key)

    def _write(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)

    def _read(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        body: bytes = answer["Body"].read()
        return body

    async def delete_prefix(self, prefix: str) -> None:
        self._forget(prefix)

        def delete() -> None:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix) + "/"):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

        await asyncio.to_thread(delete)


def artifact_store(settings: Settings) -> ArtifactStore:
    if not settings.artifacts_url:
        return LocalArtifacts(settings.data_dir / "artifacts")
    parts = urlsplit(settings.artifacts_url)
    if parts.scheme == "s3":
        return S3Artifacts(parts.netloc, parts.path, settings.s3_endpoint_url)
    if parts.scheme in {"", "file"}:
        return LocalArtifacts(Path(parts.path))
    raise ValueError(f"ARTIFACTS_URL must be a folder or s3://bucket/prefix, not {settings.artifacts_url!r}")
