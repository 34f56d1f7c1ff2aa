"""Running the test site: uvicorn on a free port in a background thread, or a static export for nginx."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp

from tests.site.catalog import DEFAULT_SEED, DEFAULT_SIZE, Catalog
from tests.site.documents import LEGACY_PAGES, SiteDocuments, static_file

TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@contextmanager
def serve_site(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` with uvicorn in a daemon thread (on a free port unless `port` is given); yields the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1, backlog=4096
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="test-site", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the test site did not start")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def write_static(
    directory: str | Path,
    size: int = DEFAULT_SIZE,
    *,
    seed: int = DEFAULT_SEED,
    theme: str = "classic",
    base_url: str = "http://127.0.0.1:8080",
) -> list[str]:
    """Write every static document as a file under `directory`; returns the URLs written.

    Absolute links (sitemaps, robots.txt, canonical links) point at `base_url`, where the files will be served.
    List pages' `?page=N` become files: serve them with `nginx_config()` so the URLs stay the same.
    """
    root = Path(directory)
    documents = SiteDocuments(Catalog(size=size, seed=seed, theme=theme), base_url)
    urls = documents.urls()
    for url in urls:
        document = documents.get_url(url)
        assert document is not None, url
        target = root / static_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(document.body)
    return urls


def nginx_config(root: str | Path, base_url: str, prefix: str | Path, workers: int = 1) -> str:
    """A standalone nginx.conf (`nginx -p PREFIX -c FILE`) serving a `write_static` export at `base_url`.

    It maps `/products?page=N` and `/categories/<slug>?page=N` onto the exported files and sends the same
    Content-Type headers as the ASGI app (UTF-8 except the legacy-encoding pages).
    """
    address = urlsplit(base_url)
    legacy_locations = "".join(f"        location = {path} {{ charset off; }}\n" for path in LEGACY_PAGES)
    temp = Path(prefix, "tmp")
    return (
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read files that only root may read
        + f"worker_processes {workers};\n"
        "daemon off;\n"
        f"pid {Path(prefix, 'nginx.pid')};\n"
        f"error_log {Path(prefix, 'error.log')} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    access_log off;\n"
        "    sendfile on;\n"
        "    keepalive_requests 100000;\n"
        + "".join(f"    {kind}_temp_path {temp / kind};\n" for kind in TEMP_PATHS)
        + "    types { text/html html; text/plain txt; application/xml xml; application/gzip gz; "
        "application/octet-stream bin; }\n"
        "    default_type application/octet-stream;\n"
        "    charset utf-8;\n"
        # `if` inside a location drops try_files, so the page number is defaulted and checked by a map.
        '    map $arg_page $site_page { "" 1; "~^[0-9]+$" $arg_page; default invalid; }\n'
        "    server {\n"
        f"        listen {address.hostname}:{address.port or 80};\n"
        f"        root {Path(root).resolve()};\n"
        "        index index.html;\n"
        "        location = /products { try_files /products/page-$site_page.html =404; }\n"
        "        location ~ ^/categories/(?<category>[a-z0-9-]+)$ {\n"
        "            try_files /categories/$category/page-$site_page.html =404;\n        }\n"
        f"{legacy_locations}"
        "    }\n"
        "}\n"
    )
