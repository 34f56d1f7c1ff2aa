"""The local artifact store: gzip-compressed objects, packs of many bodies read back one member at a time, keys
that cannot leave the store's folder, deletion by prefix. (The S3 store is tested against moto in
tests/pipeline/test_results.py.)"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scrapeflow.kit.artifacts import LocalArtifacts


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


async def test_a_pack_is_one_file_whose_members_are_read_alone(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path)
    bodies = [f"<html><p>page {n}</p>{'x' * n * 100}</html>".encode() for n in range(5)]

    keys = await store.put_pack("executions/a/snapshots/1.gz", bodies)

    assert files(tmp_path) == ["executions/a/snapshots/1.gz"]
    assert all(key.startswith("executions/a/snapshots/1.gz#") for key in keys)
    assert len(set(keys)) == 5
    for key, body in zip(keys, bodies, strict=True):
        assert await store.get(key) == body  # that member's bytes only, not the pack's
    # The pack is itself one gzip file (its members concatenated): `zcat` shows every page.
    assert gzip.decompress((tmp_path / "executions/a/snapshots/1.gz").read_bytes()) == b"".join(bodies)


async def test_bad_keys_are_refused(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path / "store")
    for key in ("../outside.gz", "executions/../../etc/passwd", "/", ""):
        with pytest.raises(ValueError, match="bad artifact key"):
            await store.put(key, b"x")
    for key in ("executions/a/1.gz#", "executions/a/1.gz#12", "executions/a/1.gz#-1:4", "executions/a/1.gz#a:b"):
        with pytest.raises(ValueError, match="bad artifact key"):
            await store.get(key)
    assert not (tmp_path / "outside.gz").exists()


async def test_deleting_a_prefix_removes_that_folder_only(tmp_path: Path) -> None:
    store = LocalArtifacts(tmp_path)
    kept = await store.put_pack("executions/ab/snapshots/1.gz", [b"neighbour"])
    gone = await store.put_pack("executions/a/snapshots/1.gz", [b"one", b"two"])

    await store.delete_prefix("executions/a")

    with pytest.raises(FileNotFoundError):
        await store.get(gone[1])
    assert await store.get(kept[0]) == b"neighbour"
    await store.delete_prefix("executions/never-written")  # nothing to delete is not an error
