"""When a deploy would happen: the team's time zone, business hours and freeze windows, read
from deploy-gate's inputs, and the change window they give a moment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cicd_agent.actions.errors import UsageError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(
    r"^\s*(?P<d1>[a-z]{3})\s*-\s*(?P<d2>[a-z]{3})\s+(?P<h1>\d{1,2}:\d{2})\s*-\s*"
    r"(?P<h2>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)
DEFAULT_BUSINESS_HOURS = "Mon-Fri 09:00-18:00"


@dataclass(frozen=True)
class BusinessHours:
    first_day: int
    last_day: int
    start: time
    end: time


@dataclass(frozen=True)
class FreezeWindow:
    start: datetime
    end: datetime
    text: str


@dataclass(frozen=True)
class ChangeWindow:
    """When the deploy would happen, in the team's time zone, and what that means."""

    local_time: str
    weekend: bool
    off_hours: bool
    freeze: str | None


def parse_timezone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"timezone {name!r} is not an IANA time zone (e.g. Europe/Berlin)."
        ) from exc


def parse_business_hours(text: str | None) -> BusinessHours:
    """``Mon-Fri 09:00-18:00`` (days inclusive, hours local, end exclusive)."""
    match = _HOURS.match(text or DEFAULT_BUSINESS_HOURS)
    if match is None or match["d1"].lower() not in _DAYS or match["d2"].lower() not in _DAYS:
        raise UsageError(f"business-hours {text!r} is not of the form {DEFAULT_BUSINESS_HOURS!r}.")
    try:
        start = time.fromisoformat(match["h1"].zfill(5))
        end = time.fromisoformat(match["h2"].zfill(5))
    except ValueError as exc:
        raise UsageError(f"business-hours {text!r} has an invalid time: {exc}.") from exc
    return BusinessHours(
        _DAYS.index(match["d1"].lower()), _DAYS.index(match["d2"].lower()), start, end
    )


def parse_freeze_windows(text: str | None, zone: ZoneInfo) -> list[FreezeWindow]:
    """``START/END`` ISO 8601 intervals, separated by commas or new lines; a date alone means
    midnight, a time without offset is in ``zone``. END must be after START."""
    windows = []
    for raw in re.split(r"[,\n;]+", text or ""):
        item = raw.strip()
        if not item:
            continue
        start_text, slash, end_text = item.partition("/")
        if not slash:
            raise UsageError(f"freeze window {item!r} must be START/END (ISO 8601).")
        start, end = _moment(start_text, zone), _moment(end_text, zone)
        if end <= start:
            raise UsageError(f"freeze window {item!r} ends before it starts.")
        windows.append(FreezeWindow(start, end, item))
    return windows


def _moment(text: str, zone: ZoneInfo) -> datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), zone)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{text!r} is not an ISO 8601 date or time.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def parse_moment(text: str | None, zone: ZoneInfo) -> datetime | None:
    """The ``deploy-time`` input (ISO 8601), or None for now."""
    return _moment(text, zone) if text and text.strip() else None


def change_window(
    moment: datetime, zone: ZoneInfo, hours: BusinessHours, freezes: Sequence[FreezeWindow]
) -> ChangeWindow:
    local = moment.astimezone(zone)
    day = local.weekday()
    in_days = hours.first_day <= day <= hours.last_day
    in_hours = hours.start <= local.time() < hours.end
    freeze = next((f.text for f in freezes if f.start <= moment < f.end), None)
    return ChangeWindow(
        local_time=local.strftime("%a %Y-%m-%d %H:%M %Z"),
        weekend=day >= 5,
        off_hours=not (in_days and in_hours),
        freeze=freeze,
    )
