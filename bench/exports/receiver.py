"""The benchmark's webhook receiver: an ASGI app (uvicorn, its own process) that takes each message, counts its
rows and answers 200; `GET /stats` tells what arrived. Prints its port once listening."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import uvicorn

stats = {"messages": 0, "rows": 0, "bytes": 0, "ids": 0}
seen: set[str] = set()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        answer = json.dumps(stats).encode()
    else:
        headers = dict(scope["headers"])
        seen.add(headers.get(b"webhook-id", b"").decode())
        stats["messages"] += 1
        stats["bytes"] += len(body)
        stats["rows"] += len(json.loads(body)["data"]["rows"])
        stats["ids"] = len(seen)
        answer = b"ok"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


def main() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    sys.exit(main())
