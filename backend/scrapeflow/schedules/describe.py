"""Cron expressions in plain English ("At 09:00, Monday through Friday") for the common forms.

Forms it does not know (steps over ranges, `L`, `W`, `#`…) get a generic sentence naming the expression.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapeflow.schedules.cron import FIELDS, CronError, normalize

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAY_NAMES = {name[:3].lower(): index for index, name in enumerate(WEEKDAYS[:7])}
_MONTH_NAMES = {name[:3].lower(): index for index, name in enumerate(MONTHS) if name}
_MAX_LISTED_TIMES = 6


class _Unsupported(Exception):
    pass


@dataclass(frozen=True)
class _Field:
    """One cron field: every value (`*`), every n-th (`*/n`), or a list of values and ranges."""

    every: bool = False
    step: int | None = None
    items: tuple[tuple[int, int], ...] = ()  # (first, last); a single value is (v, v)

    @property
    def singles(self) -> list[int] | None:
        """The values when the list holds no ranges."""
        if self.every or self.step is not None or any(a != b for a, b in self.items):
            return None
        return [a for a, _ in self.items]


def _number(text: str, names: dict[str, int]) -> int:
    if text.isdigit():
        return int(text)
    if text.lower() in names:
        return names[text.lower()]
    raise _Unsupported(text)


def _field(text: str, names: dict[str, int] | None = None) -> _Field:
    if text == "*":
        return _Field(every=True)
    if text.startswith("*/") and text[2:].isdigit():
        step = int(text[2:])
        return _Field(every=True) if step == 1 else _Field(step=step)
    items = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        a = _number(first, names or {})
        items.append((a, _number(last, names or {}) if last else a))
    return _Field(items=tuple(items))


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _hour_window(hours: _Field) -> str:
    spans = [f"between {_clock(a, 0)} and {_clock(b, 59)}" for a, b in hours.items]
    return ", " + _join(spans)


def _time(minute: _Field, hour: _Field) -> str:
    minutes = minute.singles
    if minute.every or minute.step is not None:
        every = "Every minute" if minute.every else f"Every {minute.step} minutes"
        if hour.every:
            return every
        if hour.items:
            return every + _hour_window(hour)
        raise _Unsupported("minute steps with hour steps")
    if minutes is None:
        raise _Unsupported("minute ranges")
    past = "Every hour" if minutes == [0] else f"At {_join([str(m) for m in minutes])} minutes past the hour"
    if hour.every:
        return past
    if hour.step is not None:
        return f"Every {hour.step} hours" if minutes == [0] else f"{past}, every {hour.step} hours"
    hours = hour.singles
    if hours is not None and len(hours) * len(minutes) <= _MAX_LISTED_TIMES:
        return "At " + _join([_clock(h, m) for h in sorted(hours) for m in sorted(minutes)])
    return past + _hour_window(hour)


def _span(items: tuple[tuple[int, int], ...], label: tuple[str, ...], preposition: str, *, alone: bool) -> str:
    """`Monday through Friday`, `only on Monday` (`on Monday` beside other conditions), `on Monday and Friday`."""
    if len(items) == 1 and items[0][0] != items[0][1]:
        return f"{label[items[0][0]]} through {label[items[0][1]]}"
    words = [label[a] if a == b else f"{label[a]} through {label[b]}" for a, b in items]
    only = "only " if alone and len(words) == 1 else ""
    return f"{only}{preposition} {_join(words)}"


def _days(day: str, weekday: str) -> list[str]:
    parts = []
    if day == "L":
        parts.append("on the last day of the month")
    else:
        days = _field(day)
        if days.step is not None:
            raise _Unsupported("day steps")
        if days.items:
            numbers = days.singles
            if numbers is not None:
                noun = "day" if len(numbers) == 1 else "days"
                parts.append(f"on {noun} {_join([str(n) for n in numbers])} of the month")
            else:
                spans = [str(a) if a == b else f"{a} through {b}" for a, b in days.items]
                parts.append(f"on days {_join(spans)} of the month")
    weekdays = _field(weekday, _WEEKDAY_NAMES)
    if weekdays.step is not None:
        raise _Unsupported("weekday steps")
    if weekdays.items:
        if any(b > 7 or a > b for a, b in weekdays.items):
            raise _Unsupported("weekday range")
        parts.append(_span(weekdays.items, WEEKDAYS, "on", alone=not parts))
    # Cron runs on either when both are given.
    return [" and ".join(parts)] if parts else []


def _months(month: str) -> list[str]:
    months = _field(month, _MONTH_NAMES)
    if months.step is not None:
        return [f"every {months.step} months"]
    if not months.items:
        return []
    if any(not 1 <= a <= b <= 12 for a, b in months.items):
        raise _Unsupported("month range")
    return [_span(months.items, MONTHS, "in", alone=True)]


def describe(expression: str) -> str:
    """A sentence for the editor and the API; never raises."""
    try:
        minute, hour, day, month, weekday = normalize(expression).split(" ")
        return ", ".join([_time(_field(minute), _field(hour)), *_days(day, weekday), *_months(month)])
    except (_Unsupported, CronError, IndexError, ValueError):
        return f"On the cron schedule `{expression}` ({FIELDS})"
