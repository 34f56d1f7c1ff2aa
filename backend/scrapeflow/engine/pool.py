"""httpcore's connection pools with the same behaviour at a per-request cost that does not grow with the
number of pooled connections (a crawler keeps dozens open)."""

from __future__ import annotations

import time

import httpcore
from httpcore import AsyncConnectionInterface

# How often idle connections are all probed for keep-alive expiry and server-side close. In between, a
# connection is probed only when it is about to be reused, so a closed one is still never handed out.
SWEEP_INTERVAL = 1.0


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore runs `_assign_requests_to_connections` twice per request. Its version counts idle
    connections with a list rebuilt inside the loop over connections (quadratic) and probes every idle
    socket with a poll() syscall; with 16 connections that was a third of our CPU per page. This one is
    linear, and probes one connection per request plus a full sweep at most every SWEEP_INTERVAL."""

    _next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        closing: list[AsyncConnectionInterface] = []
        connections = self._connections
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL
            kept = []
            for connection in connections:
                if connection.is_closed():
                    continue
                if connection.has_expired():
                    closing.append(connection)
                else:
                    kept.append(connection)
            connections[:] = kept
        elif any(connection.is_closed() for connection in connections):
            connections[:] = [connection for connection in connections if not connection.is_closed()]

        idle = [connection for connection in connections if connection.is_idle()]
        for connection in idle[: max(0, len(idle) - self._max_keepalive_connections)]:
            connections.remove(connection)
            closing.append(connection)

        for pool_request in self._requests:
            if not pool_request.is_queued():
                continue
            origin = pool_request.request.url.origin
            reusable = self._reusable(origin, closing)
            if reusable is not None:
                pool_request.assign_to_connection(reusable)
                continue
            if len(connections) >= self._max_connections:
                victim = next((c for c in connections if c.is_idle()), None)
                if victim is None:
                    continue  # stays queued until a connection is released
                connections.remove(victim)
                closing.append(victim)
            connection = self.create_connection(origin)
            connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def _reusable(
        self, origin: httpcore.Origin, closing: list[AsyncConnectionInterface]
    ) -> AsyncConnectionInterface | None:
        connections = self._connections
        index = 0
        while index < len(connections):
            connection = connections[index]
            if connection.can_handle_request(origin) and connection.is_available():
                if not connection.has_expired():
                    return connection
                del connections[index]
                closing.append(connection)
                continue
            index += 1
        return None


class LeanHTTPProxy(LeanConnectionPool, httpcore.AsyncHTTPProxy):
    """The same assignment for connections through an HTTP proxy."""
