"""The one time type of a publish: an instant to the nanosecond, written as wash (chrono) writes it.

The OCI config's ``created`` and the ``org.opencontainers.image.created`` annotation are RFC 3339 date-times
(OCI image-spec ``config.md`` and ``annotations.md``), whose ``date-fullyear`` is exactly four digits (RFC 3339
section 5.6). Python's ``datetime`` stops at years 1 and 9999, and Python's ``%Y`` writes the year 999 as
``999``: so every instant is checked once, where it is made (:class:`Instant`), to lie in
the years 0001-9999, and the year is always written with four digits. An instant outside them — from the
``created`` input, ``SOURCE_DATE_EPOCH``, a commit date or an event's timestamp — is one :class:`ActionError`
that names where it came from, never a Python ``ValueError``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..errors import ActionError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


class Instant:
    """A point in time to the nanosecond (chrono's precision; ``datetime`` stops at microseconds).

    It refuses to exist outside the years 0001-9999 (UTC): the :class:`ActionError` names ``source``, where
    the value came from (``SOURCE_DATE_EPOCH``, ``the created input``, ``the committer date of commit …``).
    """

    __slots__ = ("nanos", "seconds")

    def __init__(self, seconds: int, nanos: int = 0, *, source: str = "the time") -> None:
        if not MIN_SECONDS <= seconds <= MAX_SECONDS or not 0 <= nanos < 1_000_000_000:
            raise out_of_range(source, f"{seconds}.{nanos:09d}" if 0 < nanos < 1_000_000_000 else str(seconds))
        self.seconds = seconds  # since the Unix epoch, UTC
        self.nanos = nanos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instant) and (self.seconds, self.nanos) == (other.seconds, other.nanos)

    def __hash__(self) -> int:
        return hash((self.seconds, self.nanos))

    def __repr__(self) -> str:
        return f"Instant({self.seconds}, {self.nanos})"

    def _base(self) -> str:
        stamp = _EPOCH + timedelta(seconds=self.seconds)
        return (
            f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}T{stamp.hour:02d}:{stamp.minute:02d}:{stamp.second:02d}"
        )

    def _fraction(self) -> str:
        """chrono's ``SecondsFormat::AutoSi``: none, 3, 6 or 9 digits, the fewest that are exact."""
        if not self.nanos:
            return ""
        if self.nanos % 1_000_000 == 0:
            return f".{self.nanos // 1_000_000:03d}"
        if self.nanos % 1_000 == 0:
            return f".{self.nanos // 1_000:06d}"
        return f".{self.nanos:09d}"

    def config_time(self) -> str:
        """As serde writes chrono's ``DateTime<Utc>``: ``2026-05-01T12:00:00Z``."""
        return f"{self._base()}{self._fraction()}Z"

    def annotation_time(self) -> str:
        """As chrono's ``to_rfc3339()``: ``2026-05-01T12:00:00+00:00``."""
        return f"{self._base()}{self._fraction()}+00:00"

    @classmethod
    def now(cls) -> Instant:
        """This moment, to the microsecond."""
        stamp = datetime.now(UTC)
        return cls(int(stamp.replace(microsecond=0).timestamp()), stamp.microsecond * 1000)


def out_of_range(source: str, value: str) -> ActionError:
    """The one error for a time outside the years 0001-9999, naming where it came from."""
    return ActionError(
        what=f"{source} {value[:80]!r} is outside the years 0001 to 9999",
        why="The component's OCI creation time is an RFC 3339 date-time, whose year has exactly four digits; "
        "it is part of the digest, so it cannot be clamped or guessed.",
        fix="Give a time within range, or let publish use the commit's time or the current time:\n"
        "with:\n  created: commit    # the commit's committer time (default)\n"
        "or\nwith:\n  created: now\n"
        "or\nenv:\n  SOURCE_DATE_EPOCH: '1767225600'   # seconds since 1970, e.g. git log -1 --format=%ct",
        docs="#reproducible-digests",
    )


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,
)


def parse_rfc3339(value: str, *, source: str = "the time") -> Instant | None:
    """An RFC 3339 date-time (any offset, up to nanoseconds), or None when it is not one.

    A well-formed date-time whose year (in UTC) is outside 0001-9999 — ``0000-01-01T00:00:00Z``,
    ``9999-12-31T23:00:00-05:00`` — raises :func:`out_of_range` naming ``source``.
    """
    match = _RFC3339.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_hours, off_minutes = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31 and int(hour) <= 23 and int(minute) <= 59):
        return None
    if int(second) > 59 or (not zulu and (int(off_hours) > 23 or int(off_minutes) > 59)):
        return None
    if int(year) == 0:
        raise out_of_range(source, value.strip())
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:  # 2026-02-30
        return None
    offset = 0 if zulu else (1 if sign == "+" else -1) * (int(off_hours) * 3600 + int(off_minutes) * 60)
    seconds = (local - _EPOCH) // timedelta(seconds=1) - offset
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise out_of_range(source, value.strip())
    return Instant(seconds, int((fraction or "0").ljust(9, "0")), source=source)
