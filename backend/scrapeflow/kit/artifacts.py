"""Artifact storage: page snapshots and other large payloads that never ride the broker.

A local folder (`$DATA_DIR/artifacts`, single-machine mode) or any S3-compatible store (`ARTIFACTS_URL=
s3://bucket/prefix`, with `S3_ENDPOINT_URL` for MinIO, R2, …). Keys are relative paths such as
`<org>/<execution>/<page>.html.gz`; bodies are stored gzip-compressed.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from scrapeflow.config import Settings

_PARALLEL_UPLOADS = 8


class ArtifactStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store several artifacts at once (a scrape batch's snapshots): one hop off the event loop, not one
        per artifact."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError when there are none."""
        ...

    async def delete_prefix(self, prefix: str) -> None: ...


def _safe(key: str) -> str:
    parts = [part for part in key.split("/") if part]
    if not parts or any(part in {".", ".."} for part in parts):
        raise ValueError(f"bad artifact key {key!r}")
    return "/".join(parts)


class LocalArtifacts:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe(key)

    async def put(self, key: str, data: bytes) -> None:
        await self.put_many([(key, data)])

    async def put_many(self, items: list[tuple[str, bytes]]) -> None:
        paths = [(self._path(key), data) for key, data in items]
        await asyncio.to_thread(self._write_all, paths)

    @staticmethod
    def _write_all(items: list[tuple[Path, bytes]]) -> None:
        made: set[Path] = set()
        for path, data in items:
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            partial = path.with_name(path.name + ".part")
            partial.write_bytes(gzip.compress(data, compresslevel=1))  # zlib lets the event loop run meanwhile
            partial.replace(path)  # readers never see half a file

    async def get(self, key: str) -> bytes:
        return gzip.decompress(await asyncio.to_thread(self._path(key).read_bytes))

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), True)


class S3Artifacts:
    """Through boto3 (its calls run in threads); any S3-compatible endpoint."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{_safe(key)}" if self.prefix else _safe(key)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._upload, key, data)

    async def put_many(self, items: list[tuple[str, bytes]]) -> None:
        for start in range(0, len(items), _PARALLEL_UPLOADS):
            chunk = items[start : start + _PARALLEL_UPLOADS]
            await asyncio.gather(*(asyncio.to_thread(self._upload, key, data) for key, data in chunk))

    def _upload(self, key: str, data: bytes) -> None:
        body = gzip.compress(data, compresslevel=1)
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except self.client.exceptions.NoSuchKey as exc:
                raise FileNotFoundError(key) from exc
            body: bytes = answer["Body"].read()
            return body

        return gzip.decompress(await asyncio.to_thread(read))

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
