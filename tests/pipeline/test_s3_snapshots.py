"""Page snapshots in S3-compatible storage (moto's server): the store's objects, packs read back a body at a
time, deletion by prefix (which also drops the packs held unpacked), and an execution whose worker keeps its
snapshots in a bucket."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from scrapeflow.config import Settings
from scrapeflow.kit.artifacts import S3Artifacts
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.pipeline.shop_bots import card_fields, execute, list_pages, workflow

BUCKET = "scrapeflow-artifacts"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An S3-compatible server (moto) on a free port with an empty bucket; yields the environment that points a
    process at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "S3_ENDPOINT_URL": f"http://{host}:{port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"]).create_bucket(Bucket=BUCKET)
    yield env
    server.stop()


def bucket_objects(endpoint: str, prefix: str = "") -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=endpoint)
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


async def test_s3_artifacts_store_read_and_delete_by_prefix(s3: dict[str, str]) -> None:
    store = S3Artifacts(BUCKET, "/snapshots/", s3["S3_ENDPOINT_URL"])
    await store.put("executions/a/1.html", b"<p>one</p>")
    await store.put("executions/a/2.html", b"<p>two</p>")
    await store.put("executions/ab/1.html", b"<p>neighbour</p>")

    assert await store.get("executions/a/1.html") == b"<p>one</p>"
    stored = bucket_objects(s3["S3_ENDPOINT_URL"])
    assert set(stored) == {
        "snapshots/executions/a/1.html",
        "snapshots/executions/a/2.html",
        "snapshots/executions/ab/1.html",
    }
    assert gzip.decompress(stored["snapshots/executions/a/2.html"]) == b"<p>two</p>"

    with pytest.raises(FileNotFoundError):
        await store.get("executions/a/3.html")
    with pytest.raises(ValueError, match="bad artifact key"):
        await store.put("executions/../../etc/passwd", b"")

    # A pack is one object (one gzip stream); each body is read back alone.
    bodies = [b"<p>first</p>", b"<p>second</p>" * 50, b"<p>third</p>"]
    keys = await store.put_pack("executions/a/snapshots/1.gz", bodies)
    assert [await store.get(key) for key in keys] == bodies
    pack = bucket_objects(s3["S3_ENDPOINT_URL"], "snapshots/executions/a/snapshots/")
    assert list(pack) == ["snapshots/executions/a/snapshots/1.gz"]
    assert gzip.decompress(pack["snapshots/executions/a/snapshots/1.gz"]) == b"".join(bodies)

    await store.delete_prefix("executions/a")
    assert set(bucket_objects(s3["S3_ENDPOINT_URL"])) == {"snapshots/executions/ab/1.html"}
    with pytest.raises(FileNotFoundError):
        await store.get(keys[0])
    with pytest.raises(FileNotFoundError):
        await store.get("executions/a/1.html")
    assert await store.get("executions/ab/1.html") == b"<p>neighbour</p>"


@pytest.fixture
def s3_processes(pipeline_settings: Settings, tmp_path: Path, s3: dict[str, str]) -> Iterator[Processes]:
    """Worker processes that keep their artifacts in the S3 bucket under `pages/`."""
    logs = tmp_path / "process-logs"
    logs.mkdir()
    running = Processes(pipeline_settings, logs, env={**s3, "ARTIFACTS_URL": f"s3://{BUCKET}/pages"})
    yield running
    running.stop_all()


async def test_an_execution_keeps_its_page_snapshots_in_s3(
    api: httpx.AsyncClient, s3_processes: Processes, s3: dict[str, str], shop: str, pipeline_settings: Settings
) -> None:
    s3_processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, workflow(list_pages(shop, 1, 2, 3), card_fields()))
    execution = await wait_for(api, headers, await execute(api, headers, bot_id), s3_processes)
    assert execution["status"] == "succeeded", execution

    # The batch's snapshots are written in packs (one object per group of pages, not one per page).
    packs = bucket_objects(s3["S3_ENDPOINT_URL"], f"pages/executions/{execution['id']}/")
    assert 1 <= len(packs) <= 3
    assert all(key.startswith(f"pages/executions/{execution['id']}/snapshots/") for key in packs)
    pages = b"".join(gzip.decompress(body) for body in packs.values()).decode()
    assert pages.count("</html>") == 3
    assert pages.count('class="product-card"') == 3 * 24
    assert not (pipeline_settings.data_dir / "artifacts").exists()

    # Re-extraction reads them back from the bucket.
    again = await api.post(f"/api/v1/bots/{bot_id}/reextract", json={"execution_id": execution["id"]}, headers=headers)
    assert again.status_code == 202, again.text
    reread = await wait_for(api, headers, again.json()["id"], s3_processes)
    assert reread["status"] == "succeeded", reread
    assert reread["rows_count"] == 72
