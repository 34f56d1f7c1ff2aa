"""The local artifact store: gzip-compressed objects, packs of many bodies read back one at a time (each pack read
once while its pages are read), keys that cannot leave the store's folder, deletion by prefix. (The S3 store is
tested against moto in tests/pipeline/test_s3_snapshots.py.)"""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest

from scrapeflow.kit import artifacts
from scrapeflow.kit.artifacts import LocalArtifacts


class CountingReads(LocalArtifacts):
    """The local store, counting the objects it reads from disk."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def _read(self, key: str) -> bytes:
        self.reads.append(key)
        return super()._read(key)


def files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


async def test_an_artifact_is_stored_compressed_and_read_back(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path)
    await store.put("executions/a/report.json", b'{"ok": true}')

    assert gzip.decompress((tmp_path / "executions/a/report.json").read_bytes()) == b'{"ok": true}'
    assert await store.get("executions/a/report.json") == b'{"ok": true}'
    assert files(tmp_path) == ["executions/a/report.json"]  # no partial file left behind
    with pytest.raises(FileNotFoundError):
        await store.get("executions/a/other.json")


def page(n: int) -> bytes:
    """A product page: the markup every page shares, and its own text."""
    return (
        "<html><head><title>Shop</title><link rel=stylesheet href=/shop.css></head><body><nav>"
        + "".join(f"<a href=/category/{c}>Category {c}</a>" for c in range(20))
        + f"</nav><main><h1>Product {n}</h1><p class=price>{n}.99</p>{'detail ' * n}</main></body></html>"
    ).encode()


async def test_a_pack_is_one_gzip_stream_whose_bodies_are_read_alone(tmp_path: Path) -> None:
    store = CountingReads(tmp_path)
    bodies = [page(n) for n in range(5)]

    keys = await store.put_pack("executions/a/snapshots/1.gz", bodies)

    assert files(tmp_path) == ["executions/a/snapshots/1.gz"]
    assert all(key.startswith("executions/a/snapshots/1.gz#") for key in keys)
    assert len(set(keys)) == 5
    # Every body back alone, however many are asked for at once; the pack is read from disk once.
    assert await asyncio.gather(*(store.get(key) for key in reversed(keys))) == bodies[::-1]
    assert await store.get(keys[2]) == bodies[2]
    assert store.reads == ["executions/a/snapshots/1.gz"]
    # The pack is one gzip file: `zcat` shows every page. Compressed together, the markup the pages share is
    # stored once, so the pack is smaller than the pages compressed one by one.
    pack = (tmp_path / "executions/a/snapshots/1.gz").read_bytes()
    assert gzip.decompress(pack) == b"".join(bodies)
    assert len(pack) < 0.6 * sum(len(gzip.compress(body, compresslevel=1)) for body in bodies)


async def test_the_store_keeps_only_the_packs_read_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CountingReads(tmp_path)
    first = await store.put_pack("executions/a/snapshots/1.gz", [page(1), page(2)])
    second = await store.put_pack("executions/a/snapshots/2.gz", [page(3), page(4)])
    monkeypatch.setattr(artifacts, "UNPACKED_BUDGET", len(page(3) + page(4)) + 10)  # room for one pack

    assert await store.get(first[0]) == page(1)
    assert await store.get(second[1]) == page(4)  # the second pack pushes the first one out
    assert await store.get(second[0]) == page(3)
    assert await store.get(first[1]) == page(2)  # so the first one is read again
    assert store.reads == ["executions/a/snapshots/1.gz", "executions/a/snapshots/2.gz", "executions/a/snapshots/1.gz"]


async def test_bad_keys_are_refused(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path / "store")
    for key in ("../outside.gz", "executions/../../etc/passwd", "/", ""):
        with pytest.raises(ValueError, match="bad artifact key"):
            await store.put(key, b"x")
    for key in ("executions/a/1.gz#", "executions/a/1.gz#12", "executions/a/1.gz#-1:4", "executions/a/1.gz#a:b"):
        with pytest.raises(ValueError, match="bad artifact key"):
            await store.get(key)
    [key] = await store.put_pack("executions/a/1.gz", [b"four"])
    assert key == "executions/a/1.gz#0:4"
    for beyond in ("executions/a/1.gz#0:5", "executions/a/1.gz#4:1"):
        with pytest.raises(ValueError, match="the pack holds 4 bytes"):
            await store.get(beyond)
    assert not (tmp_path / "outside.gz").exists()


async def test_deleting_a_prefix_removes_that_folder_only(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path)
    kept = await store.put_pack("executions/ab/snapshots/1.gz", [b"neighbour"])
    gone = await store.put_pack("executions/a/snapshots/1.gz", [b"one", b"two"])
    assert await store.get(gone[0]) == b"one"  # the pack is now held unpacked, too

    await store.delete_prefix("executions/a")

    with pytest.raises(FileNotFoundError):
        await store.get(gone[1])
    assert await store.get(kept[0]) == b"neighbour"
    await store.delete_prefix("executions/never-written")  # nothing to delete is not an error
