"""Cron expressions in a time zone: validation, and the run times they produce across DST changes.

Run times are computed on the schedule's wall clock and then placed on the UTC timeline:

- a wall time that does not exist (the hour skipped when clocks spring forward) runs the gap's length
  later, so `30 2 * * *` runs at 03:30 that day (RFC 5545's rule; it still runs once);
- a wall time that happens twice (the hour repeated when clocks fall back) runs once, at its first
  occurrence, unless the expression runs every hour (`*` in the hour field): then it keeps its rhythm and
  runs in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, CroniterError, croniter

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
FIELDS = "minute hour day-of-month month day-of-week"
# Longer than any clock change (2 h at most): within this distance of one, wall order and UTC order may differ.
_TRANSITION_MARGIN = timedelta(hours=3)
_DAY_GAP_SEARCH_DAYS = 4 * 366


class CronError(ValueError):
    """A schedule that cannot be accepted, with a code for the API error and a sentence for the user."""

    def __init__(self, code: str, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA time zone such as `Europe/Berlin`; anything else is refused."""
    if name not in _zone_names():
        raise CronError(
            "unknown_timezone",
            f"`{name}` is not a known IANA time zone; use a name such as `Europe/Berlin`, `America/New_York` or `UTC`.",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # listed but unreadable: a broken tz database
        raise CronError("unknown_timezone", f"The time zone `{name}` cannot be loaded.") from exc


def normalize(expression: str) -> str:
    """The five-field form: aliases expanded, whitespace collapsed; other forms are refused."""
    text = " ".join(expression.split())
    text = ALIASES.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) != 5:
        extra = " (seconds and years are not supported)" if len(fields) in (6, 7) else ""
        raise CronError(
            "invalid_cron",
            f"`{expression}` is not a cron expression ScrapeFlow runs: give five fields, {FIELDS}{extra}, "
            "e.g. `0 9 * * 1-5`, or one of " + ", ".join(f"`{alias}`" for alias in ALIASES) + ".",
        )
    return text


@dataclass(frozen=True)
class CronSchedule:
    """A validated five-field cron expression on a time zone's wall clock."""

    expression: str
    zone: ZoneInfo

    @property
    def every_hour(self) -> bool:
        """`*` in the hour field: such schedules keep their rhythm through a repeated hour."""
        return self.expression.split(" ")[1] == "*"

    @classmethod
    def parse(cls, expression: str, timezone: str, *, min_interval_seconds: int, now: datetime) -> CronSchedule:
        """Validate an expression and a time zone: it must be well-formed, fire, and not too often."""
        text = normalize(expression)
        try:
            expanded, _ = croniter.expand(text)
        except (CroniterError, ValueError, KeyError) as exc:
            raise CronError(
                "invalid_cron",
                f"`{expression}` is not a valid cron expression ({exc}); the fields are {FIELDS}, e.g. `0 9 * * 1-5`.",
            ) from exc
        schedule = cls(text, parse_timezone(timezone))
        if schedule.next_after(now) is None:
            raise CronError("cron_never_fires", f"`{expression}` never runs (no such date, e.g. 30 February).")
        shortest = _shortest_interval(text, expanded)
        if shortest < min_interval_seconds:
            raise CronError(
                "cron_too_frequent",
                f"`{expression}` can run {_duration(shortest)} apart; runs of a schedule must be at least "
                f"{_duration(min_interval_seconds)} apart.",
                {"min_interval_seconds": min_interval_seconds, "shortest_interval_seconds": shortest},
            )
        return schedule

    @classmethod
    def load(cls, expression: str, timezone: str) -> CronSchedule:
        """A stored (already validated) schedule; raises CronError if it no longer loads."""
        return cls(normalize(expression), parse_timezone(timezone))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first run strictly after `moment` (aware, UTC), or None if the expression never runs again."""
        moment = moment.astimezone(UTC)
        lookback = _TRANSITION_MARGIN if self._transition_near(moment) else timedelta(0)
        walls = croniter(self.expression, moment.astimezone(self.zone).replace(tzinfo=None) - lookback)
        best: datetime | None = None
        horizon: datetime | None = None
        try:
            while True:
                wall = walls.get_next(datetime)
                if horizon is not None and wall > horizon:
                    return best
                for instant in self._instants(wall):
                    if instant > moment and (best is None or instant < best):
                        best = instant
                if best is not None and horizon is None:
                    if not self._transition_near(best):
                        return best
                    horizon = wall + _TRANSITION_MARGIN  # later wall times may still fall earlier in UTC
        except CroniterBadDateError:
            return best

    def runs_after(self, moment: datetime, count: int) -> list[datetime]:
        runs: list[datetime] = []
        current: datetime | None = moment
        while len(runs) < count and current is not None:
            current = self.next_after(current)
            if current is not None:
                runs.append(current)
        return runs

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def _instants(self, wall: datetime) -> tuple[datetime, ...]:
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        if first == second:
            return (first,)
        if first.astimezone(self.zone).replace(tzinfo=None) != wall:
            # Skipped by a spring-forward: fold 0 reads it with the offset before the gap, i.e. the gap's length later.
            return (first,)
        return (first, second) if self.every_hour else (first,)

    def _transition_near(self, instant: datetime) -> bool:
        before = (instant - _TRANSITION_MARGIN).astimezone(self.zone).utcoffset()
        after = (instant + _TRANSITION_MARGIN).astimezone(self.zone).utcoffset()
        return before != after


def _shortest_interval(expression: str, expanded: Sequence[Sequence[int | str]]) -> int:
    """The shortest time in seconds between two consecutive runs (on a wall clock without DST changes)."""
    minutes = sorted(int(m) for m in (range(60) if expanded[0] == ["*"] else expanded[0]))
    hours = sorted(int(h) for h in (range(24) if expanded[1] == ["*"] else expanded[1]))
    gaps = [b - a for a, b in pairwise(minutes)]
    gaps += [(b - a) * 60 + minutes[0] - minutes[-1] for a, b in pairwise(hours)]
    overnight = (24 - hours[-1] + hours[0]) * 60 + minutes[0] - minutes[-1]
    within_day = min(gaps, default=None)
    if within_day is not None and within_day <= overnight:
        return within_day * 60
    # The step over midnight is the shortest only on consecutive run days; find the closest two days.
    day_fields = " ".join(expression.split(" ")[2:])
    days = croniter(f"0 0 {day_fields}", datetime(2000, 1, 1))
    previous: date = days.get_next(datetime).date()
    closest = _DAY_GAP_SEARCH_DAYS
    try:
        while (previous - date(2000, 1, 1)).days < _DAY_GAP_SEARCH_DAYS and closest > 1:
            current = days.get_next(datetime).date()
            closest = min(closest, (current - previous).days)
            previous = current
    except CroniterBadDateError:
        pass
    candidates = [overnight + (closest - 1) * 24 * 60]
    if within_day is not None:
        candidates.append(within_day)
    return min(candidates) * 60


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"1 {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
