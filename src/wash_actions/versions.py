"""wash versions and the version requests setup-wash accepts: exact, ``latest``, semver ranges, prereleases.

Ranges follow npm's grammar, the one GitHub users know from ``actions/setup-node``: ``^2.5``, ``~2.10``,
``2.x``, ``2``, ``>=2.5 <3`` (space means and), ``a || b`` (or). A range never matches a prerelease; a
prerelease is installed only when asked for by its own version or tag (``wash-v2.0.0-rc.8``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .errors import ActionError

MINIMUM = (2, 0, 0)
_VERSION = re.compile(r"^(?:wash-)?v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$", re.ASCII)
_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$", re.ASCII)
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=|\^|~)?\s*(.+)$")


class Version:
    """A wash version. A plain immutable class with ``__slots__`` (not a dataclass: see "Start-up cost" in
    ARCHITECTURE.md; not a NamedTuple either, whose ``>`` would silently be tuple order): equal and hashed by its
    four parts, ordered by :meth:`key` under every comparison operator."""

    __slots__ = ("major", "minor", "patch", "pre")
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...]

    def __init__(self, major: int, minor: int, patch: int, pre: tuple[int | str, ...] = ()) -> None:
        for name, value in (("major", major), ("minor", minor), ("patch", patch), ("pre", pre)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Version is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Version is immutable: cannot delete {name!r}")

    def _parts(self) -> tuple[int, int, int, tuple[int | str, ...]]:
        return (self.major, self.minor, self.patch, self.pre)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Version)
        return self._parts() == other._parts()

    def __hash__(self) -> int:
        return hash(self._parts())

    def __repr__(self) -> str:
        return f"Version(major={self.major!r}, minor={self.minor!r}, patch={self.patch!r}, pre={self.pre!r})"

    @property
    def prerelease(self) -> bool:
        return bool(self.pre)

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        """Sort key: a release sorts after its prereleases; numeric identifiers before alphanumeric."""
        ident = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, ident)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Version) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: Version) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: Version) -> bool:
        return self.key() >= other.key()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(str(p) for p in self.pre)}" if self.pre else core

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)


def parse_version(text: str) -> Version | None:
    """A release tag or version (``v2.10.3``, ``2.10.3``, ``wash-v2.0.0-rc.8``); None if it is not one."""
    match = _VERSION.match(text.strip())
    if not match:
        return None
    pre = tuple(int(p) if p.isdigit() else p for p in match.group(4).split(".")) if match.group(4) else ()
    return Version(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre)


class Request(NamedTuple):
    """What the user asked for, parsed once."""

    text: str
    exact: Version | None
    matches: Callable[[Version], bool]

    @property
    def is_latest(self) -> bool:
        return self.text == "latest"

    def pick(self, available: Iterable[Version]) -> Version | None:
        """The newest available version the request admits."""
        candidates = [v for v in available if self.matches(v)]
        return max(candidates, key=Version.key) if candidates else None


def _bad(text: str, why: str) -> ActionError:
    return ActionError(
        what=f"wash-version {text!r} is not a version or range",
        why=why,
        fix="Use an exact version, latest, or a range:\nwith:\n  wash-version: 2.10.3   # or latest, ^2.5, ~2.10, 2.x",
        docs="#setup-wash",
    )


def _too_old(text: str) -> ActionError:
    return ActionError(
        what=f"wash-version {text!r} asks for wash older than 2.0.0",
        why="These actions install wash 2.x; wash 0.x/1.x has a different command line and release layout.",
        fix="with:\n  wash-version: latest",
        docs="#setup-wash",
    )


def _bound(text: str, original: str) -> tuple[list[int], int]:
    """Parse a possibly partial version: its numbers, and how many were given (x/* stop the count)."""
    match = _PARTIAL.match(text)
    if not match:
        raise _bad(original, f"{text!r} is not a version (expected numbers like 2, 2.5 or 2.5.1).")
    parts: list[int] = []
    for group in match.groups():
        if group is None or not group.isdigit():
            break
        parts.append(int(group))
    return parts + [0] * (3 - len(parts)), len(parts)


def _comparator(token: str, original: str) -> Callable[[Version], bool]:
    match = _COMPARATOR.match(token)
    assert match is not None
    op, rest = match.group(1) or "", match.group(2)
    exact = parse_version(rest)
    if exact is not None and exact.pre:
        raise _bad(original, "A range cannot name a prerelease; ask for the prerelease itself instead.")
    nums, given = _bound(rest, original)
    low = tuple(nums)
    if given == 0:
        if op in ("", "="):
            return lambda v: True
        raise _bad(original, f"{token!r} compares with a wildcard.")
    if op in ("", "="):
        if given == 3:
            return lambda v: v.core == low
        op = "~" if given == 2 else "^"
        if given == 1:
            return lambda v: v.major == low[0]
    if op == "^":
        if low[0] > 0 or given == 1:
            high = (low[0] + 1, 0, 0)
        elif low[1] > 0 or given == 2:
            high = (0, low[1] + 1, 0)
        else:
            high = (0, 0, low[2] + 1)
        return lambda v: low <= v.core < high
    if op == "~":
        high = (low[0] + 1, 0, 0) if given == 1 else (low[0], low[1] + 1, 0)
        return lambda v: low <= v.core < high
    if given < 3 and op in (">", "<="):  # >2.5 means >=2.6.0; <=2.5 means <2.6.0
        bumped = list(low)
        bumped[given - 1] += 1
        for i in range(given, 3):
            bumped[i] = 0
        target = tuple(bumped)
        return (lambda v: v.core >= target) if op == ">" else (lambda v: v.core < target)
    compare = {
        ">=": lambda v: v.core >= low,
        ">": lambda v: v.core > low,
        "<": lambda v: v.core < low,
        "<=": lambda v: v.core <= low,
    }[op]
    return compare


def parse_request(text: str) -> Request:
    """A wash-version input (exact, latest, a range, a prerelease tag) as a :class:`Request`, or one clear error."""
    raw = text.strip()
    if not raw:
        raise _bad(text, "It is empty.")
    if raw.lower() == "latest":
        return Request("latest", None, lambda v: not v.prerelease and v.core >= MINIMUM)
    exact = parse_version(raw)
    if exact is not None:
        if exact.core < MINIMUM:
            raise _too_old(raw)
        return Request(raw, exact, lambda v: v == exact)
    alternatives: list[list[Callable[[Version], bool]]] = []
    for alternative in raw.split("||"):
        # join operators to their operand: ">= 2.5" -> ">=2.5"
        tokens = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative.strip()).split()
        if not tokens:
            raise _bad(raw, "An alternative of '||' is empty.")
        alternatives.append([_comparator(token, raw) for token in tokens])

    def matches(version: Version) -> bool:
        if version.prerelease or version.core < MINIMUM:
            return False
        return any(all(check(version) for check in group) for group in alternatives)

    request = Request(raw, None, matches)
    if not any(matches(probe) for probe in _probes(raw)):
        raise _too_old(raw) if _admits_old(alternatives, raw) else _bad(raw, "No version can satisfy it.")
    return request


def _probes(raw: str) -> list[Version]:
    """Versions around every number the range names: enough to tell whether anything can match."""
    numbers = {int(n) for n in re.findall(r"\d+", raw)}
    values = sorted(numbers | {n + 1 for n in numbers} | {max(n - 1, 0) for n in numbers} | {0, 1, 2, 99})
    return [Version(a, b, c) for a in values for b in values for c in values]


def _admits_old(alternatives: list[list[Callable[[Version], bool]]], raw: str) -> bool:
    old = [v for v in _probes(raw) if v.core < MINIMUM]
    return any(all(check(v) for check in group) for group in alternatives for v in old)
