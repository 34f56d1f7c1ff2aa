"""A circuit breaker per domain: after enough consecutive failures, requests to the domain fail fast
for a cool-down, then a single probe decides whether it is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from scrapeflow.engine.errors import EngineError, ErrorCode


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    """Healthy domains have no entry at all, so the common path is one failed dict lookup."""

    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}

    def state(self, domain: str) -> CircuitState:
        circuit = self._circuits.get(domain)
        if circuit is None or circuit.opened_at is None:
            return CircuitState.CLOSED
        if circuit.probing or self._clock() - circuit.opened_at >= self.cooldown:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def before_request(self, domain: str, url: str | None = None) -> None:
        """Raises CIRCUIT_OPEN while the domain cools down, or while its probe is in flight.

        The caller must report the request's result with `record` (also when it ends without a verdict),
        so that a probe never stays in flight forever.
        """
        circuit = self._circuits.get(domain)
        if circuit is None or circuit.opened_at is None:
            return
        remaining = circuit.opened_at + self.cooldown - self._clock()
        if remaining > 0 or circuit.probing:
            raise EngineError(
                ErrorCode.CIRCUIT_OPEN,
                f"{domain} failed {circuit.failures} times in a row, so ScrapeFlow paused requests to it for "
                f"{self.cooldown:g} seconds to let it recover. The run will try again later; if this keeps "
                "happening, check that the site is up.",
                url=url,
                retryable=True,
                retry_after=max(remaining, 0.0) or self.cooldown,
            )
        circuit.probing = True

    def record(self, domain: str, failed: bool | None) -> None:
        """`failed`: True for a failure, False for a success, None when the request ended without telling
        anything about the site's health (refused by policy, cancelled)."""
        circuit = self._circuits.get(domain)
        if failed is None:
            if circuit is not None:
                circuit.probing = False
            return
        if not failed:
            if circuit is not None:
                del self._circuits[domain]
            return
        if circuit is None:
            circuit = self._circuits[domain] = _Circuit()
        circuit.failures += 1
        # A failed probe re-opens at once; otherwise the threshold decides.
        if circuit.probing or circuit.failures >= self.failure_threshold:
            circuit.opened_at = self._clock()
        circuit.probing = False
