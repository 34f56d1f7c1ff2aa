"""Cron validation, run times across DST changes, and the describer."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from scrapeflow.schedules.cron import CronError, CronSchedule
from scrapeflow.schedules.describe import describe

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def parse(expression: str, timezone: str = "UTC", min_interval: int = 60) -> CronSchedule:
    return CronSchedule.parse(expression, timezone, min_interval_seconds=min_interval, now=NOW)


def local_runs(schedule: CronSchedule, after: datetime, count: int) -> list[str]:
    return [schedule.local(run).isoformat() for run in schedule.runs_after(after, count)]


@pytest.mark.parametrize(
    ("expression", "timezone", "min_interval", "code"),
    [
        ("every day", "UTC", 60, "invalid_cron"),
        ("61 * * * *", "UTC", 60, "invalid_cron"),
        ("0 9 * *", "UTC", 60, "invalid_cron"),
        ("* * * * * *", "UTC", 60, "invalid_cron"),  # a seconds field: every second
        ("H * * * *", "UTC", 60, "invalid_cron"),
        ("@reboot", "UTC", 60, "invalid_cron"),
        ("0 9 * * *", "Mars/Olympus_Mons", 60, "unknown_timezone"),
        ("0 9 * * *", "../../etc/passwd", 60, "unknown_timezone"),
        ("0 9 * * *", "CEST", 60, "unknown_timezone"),
        ("0 0 30 2 *", "UTC", 60, "cron_never_fires"),
        ("0 0 31 4 *", "Europe/Berlin", 60, "cron_never_fires"),
        ("*/2 * * * *", "UTC", 300, "cron_too_frequent"),
        ("0,1 * * * *", "UTC", 300, "cron_too_frequent"),  # once an hour on average, but a minute apart
        ("0 0,23 * * *", "UTC", 7200, "cron_too_frequent"),  # 23:00 then 00:00 the next day
    ],
)
def test_refused_with_a_clear_code(expression: str, timezone: str, min_interval: int, code: str) -> None:
    with pytest.raises(CronError) as refused:
        parse(expression, timezone, min_interval)
    assert refused.value.code == code
    assert expression in refused.value.message or timezone in refused.value.message


def test_too_frequent_says_the_limit() -> None:
    with pytest.raises(CronError) as refused:
        parse("*/2 * * * *", min_interval=300)
    assert (
        refused.value.message
        == "`*/2 * * * *` can run 2 minutes apart; runs of a schedule must be at least 5 minutes apart."
    )
    assert refused.value.details == {"min_interval_seconds": 300, "shortest_interval_seconds": 120}


@pytest.mark.parametrize(
    ("expression", "min_interval"),
    [
        ("* * * * *", 60),
        ("*/5 * * * *", 300),
        ("0 9 * * 1-5", 3600),
        ("0 0,23 * * 1", 7200),  # 23:00 Monday and 00:00 Monday are never an hour apart
        ("0 0 29 2 *", 86400),
        ("@hourly", 3600),
        ("@daily", 86400),
        ("@weekly", 86400),
        ("@monthly", 86400),
    ],
)
def test_accepted(expression: str, min_interval: int) -> None:
    assert parse(expression, "Europe/Berlin", min_interval).next_after(NOW) is not None


def test_aliases_are_stored_as_five_fields() -> None:
    assert parse("  @Weekly ").expression == "0 0 * * 0"
    assert parse("0   9 * *  MON-FRI").expression == "0 9 * * MON-FRI"


def test_next_run_is_computed_on_the_zones_wall_clock() -> None:
    schedule = parse("0 9 * * 1-5", "America/New_York")
    # Friday 2026-11-20 15:00 UTC is 10:00 in New York: the next weekday 09:00 is Monday's.
    assert local_runs(schedule, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), 2) == [
        "2026-11-23T09:00:00-05:00",
        "2026-11-24T09:00:00-05:00",
    ]
    assert parse("0 9 * * *", "Asia/Kolkata").next_after(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(
        2026, 1, 1, 3, 30, tzinfo=UTC
    )


def test_next_run_is_strictly_after() -> None:
    schedule = parse("0 9 * * *")
    assert schedule.next_after(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)) == datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    assert schedule.next_after(datetime(2026, 1, 1, 8, 59, 59, tzinfo=UTC)) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


# Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST) and falls back on 2026-10-25
# (03:00 CEST → 02:00 CET); New York on 2026-03-08 and 2026-11-01.


def test_spring_forward_a_skipped_time_runs_the_gap_later_once() -> None:
    schedule = parse("30 2 * * *", "Europe/Berlin")
    assert local_runs(schedule, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 3) == [
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    schedule = parse("0 2 * * *", "America/New_York")
    assert local_runs(schedule, datetime(2026, 3, 7, 12, 0, tzinfo=UTC), 2) == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:00:00-04:00",
    ]


def test_spring_forward_hourly_keeps_its_rhythm() -> None:
    schedule = parse("*/30 * * * *", "Europe/Berlin")
    assert local_runs(schedule, datetime(2026, 3, 29, 0, 15, tzinfo=UTC), 4) == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",  # 30 minutes later: the clock jumped from 02:00 to 03:00
        "2026-03-29T03:30:00+02:00",
        "2026-03-29T04:00:00+02:00",
    ]


def test_fall_back_a_repeated_time_runs_once() -> None:
    schedule = parse("30 2 * * *", "Europe/Berlin")
    assert local_runs(schedule, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), 2) == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]
    # Asked from inside the repeated hour (02:45 CET, after the first 02:30), the next run is tomorrow's.
    inside = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)
    assert schedule.local(schedule.next_after(inside) or NOW).isoformat() == "2026-10-26T02:30:00+01:00"


def test_fall_back_every_hour_runs_in_both_hours() -> None:
    schedule = parse("0 * * * *", "America/New_York")
    assert local_runs(schedule, datetime(2026, 11, 1, 4, 30, tzinfo=UTC), 4) == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]
    runs = parse("*/20 * * * *", "Europe/Berlin").runs_after(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), 6)
    assert [(b - a).total_seconds() for a, b in pairwise(runs)] == [1200.0] * 5


@pytest.mark.parametrize(
    ("expression", "sentence"),
    [
        ("0 9 * * 1-5", "At 09:00, Monday through Friday"),
        ("0 9 * * MON-FRI", "At 09:00, Monday through Friday"),
        ("* * * * *", "Every minute"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("@hourly", "Every hour"),
        ("15 * * * *", "At 15 minutes past the hour"),
        ("0,30 * * * *", "At 0 and 30 minutes past the hour"),
        ("0 */2 * * *", "Every 2 hours"),
        ("15 */3 * * *", "At 15 minutes past the hour, every 3 hours"),
        ("*/15 9-17 * * 1-5", "Every 15 minutes, between 09:00 and 17:59, Monday through Friday"),
        ("0 9,17 * * *", "At 09:00 and 17:00"),
        ("@daily", "At 00:00"),
        ("@weekly", "At 00:00, only on Sunday"),
        ("@monthly", "At 00:00, on day 1 of the month"),
        ("0 0 1,15 * *", "At 00:00, on days 1 and 15 of the month"),
        ("0 0 L * *", "At 00:00, on the last day of the month"),
        ("0 9 * * 1,3,5", "At 09:00, on Monday, Wednesday and Friday"),
        ("0 9 1 * 1", "At 09:00, on day 1 of the month and on Monday"),
        ("30 6 * 6 *", "At 06:30, only in June"),
        ("0 8 * 1-3 sat", "At 08:00, only on Saturday, January through March"),
        ("0 0 * */3 *", "At 00:00, every 3 months"),
    ],
)
def test_describe_common_forms(expression: str, sentence: str) -> None:
    assert describe(expression) == sentence


@pytest.mark.parametrize("expression", ["0 0 * * 1#2", "0 8-18/2 * * *", "0 0 15W * *", "nonsense"])
def test_describe_falls_back_to_a_generic_sentence(expression: str) -> None:
    assert describe(expression) == (f"On the cron schedule `{expression}` (minute hour day-of-month month day-of-week)")
