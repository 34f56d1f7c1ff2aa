"""Artifact storage: page snapshots and other large payloads that never ride the broker.

A local folder (`$DATA_DIR/artifacts`, single-machine mode) or any S3-compatible store (`ARTIFACTS_URL=
s3://bucket/prefix`, with `S3_ENDPOINT_URL` for MinIO, R2, …). Keys are relative paths such as
`executions/<execution>/snapshots/<pack>.gz`; bodies are stored gzip-compressed.

Many small artifacts written together (a scrape group's page snapshots) go into one object, a *pack*: each body
its own gzip member, the members concatenated (so the whole pack is itself a valid gzip file). Each body's key
is the pack's key with its byte range, `<pack key>#<offset>:<length>`, and `get` reads only that range: one
file or one PUT per group of pages instead of one per page, and a page is still read back alone.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
from abc import ABC, abstractmethod
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


def _pack(key: str, bodies: Sequence[bytes]) -> tuple[bytes, list[str]]:
    """The pack's bytes and each body's member key."""
    members = [gzip.compress(body, compresslevel=1) for body in bodies]
    keys, offset = [], 0
    for member in members:
        keys.append(f"{key}#{offset}:{len(member)}")
        offset += len(member)
    return b"".join(members), keys


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
    """Compression, packs and member keys; a store writes and reads whole objects or byte ranges (in a thread:
    zlib and file or network I/O let the event loop run meanwhile)."""

    @abstractmethod
    def _write(self, key: str, body: bytes) -> None: ...

    @abstractmethod
    def _read(self, key: str, span: tuple[int, int] | None) -> bytes:
        """The object's bytes, or only `span` (offset, length) of them."""

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(lambda: self._write(key, gzip.compress(data, compresslevel=1)))

    async def put_pack(self, key: str, bodies: Sequence[bytes]) -> list[str]:
        def write() -> list[str]:
            blob, keys = _pack(key, bodies)
            self._write(key, blob)
            return keys

        return await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        name, span = _member(key)
        return gzip.decompress(await asyncio.to_thread(self._read, name, span))


class LocalArtifacts(_Store):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe(key)

    def _write(self, key: str, body: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(body)
        partial.replace(path)  # readers never see half a file

    def _read(self, key: str, span: tuple[int, int] | None) -> bytes:
        path = self._path(key)
        if span is None:
            return path.read_bytes()
        with path.open("rb") as file:
            file.seek(span[0])
            return file.read(span[1])

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), True)


class S3Artifacts(_Store):
    """Through boto3 (its calls run in threads); any S3-compatible endpoint."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{_safe(key)}" if self.prefix else _safe(key)

    def _write(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)

    def _read(self, key: str, span: tuple[int, int] | None) -> bytes:
        # A pack's member is one ranged GET (the range's end is inclusive).
        ranged = {} if span is None else {"Range": f"bytes={span[0]}-{span[0] + span[1] - 1}"}
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **ranged)
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        body: bytes = answer["Body"].read()
        return body

    async def delete_prefix(self, prefix: str) -> None:
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
