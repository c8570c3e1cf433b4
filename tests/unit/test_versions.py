"""wash versions and version requests: parsing, ordering, ranges, picks over a release list, errors."""

from __future__ import annotations

import itertools

import pytest

from wash_actions.errors import ActionError
from wash_actions.versions import Version, parse_request, parse_version


def V(text: str) -> Version:
    version = parse_version(text)
    assert version is not None, text
    return version


# --- parse_version ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.10.3", Version(2, 10, 3)),
        ("v2.10.3", Version(2, 10, 3)),
        ("  v2.10.3\n", Version(2, 10, 3)),
        ("\t2.10.3 ", Version(2, 10, 3)),
        ("2.0.0", Version(2, 0, 0)),
        ("3.0.12", Version(3, 0, 12)),
        ("1.9.0", Version(1, 9, 0)),  # a version, even if setup-wash will not install it
        ("0.39.0", Version(0, 39, 0)),
        ("wash-v2.0.0-rc.8", Version(2, 0, 0, ("rc", 8))),
        ("wash-2.0.0", Version(2, 0, 0)),
        ("v2.0.0-rc.8", Version(2, 0, 0, ("rc", 8))),
        ("2.0.0-rc.8", Version(2, 0, 0, ("rc", 8))),
        ("2.11.0-rc.1", Version(2, 11, 0, ("rc", 1))),
        ("2.0.0-alpha", Version(2, 0, 0, ("alpha",))),
        ("2.0.0-alpha.beta.1", Version(2, 0, 0, ("alpha", "beta", 1))),
        ("2.0.0-0.3.7", Version(2, 0, 0, (0, 3, 7))),
        ("2.0.0-x-y-z.1", Version(2, 0, 0, ("x-y-z", 1))),
        ("2.0.0-rc1", Version(2, 0, 0, ("rc1",))),
        ("10.20.30", Version(10, 20, 30)),
    ],
)
def test_parse_version_accepts(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "latest",
        "garbage",
        "2",
        "2.10",
        "2.10.x",
        "2.x",
        "^2.5",
        "~2.10",
        ">=2.5",
        "2.10.3.1",
        "vv2.10.3",
        "V2.10.3",
        "wash-",
        "wash-vv2.0.0",
        "washboard-v0.5.0",
        "v2.10.3-",
        "2.10.3+build.1",
        "2.10.3 garbage",
        "2.10.-3",
        "-2.10.3",
        "2.10.3-rc 1",
    ],
)
def test_parse_version_rejects(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize("text", ["2.0.0-rc..1", "2.0.0-rc.", "2.0.0-.rc", "\u0662.10.3", "2.\u0661\u0660.3"])
def test_parse_version_rejects_malformed_semver(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("version", "text", "prerelease", "core"),
    [
        (Version(2, 10, 3), "2.10.3", False, (2, 10, 3)),
        (Version(2, 0, 0, ("rc", 8)), "2.0.0-rc.8", True, (2, 0, 0)),
        (Version(2, 0, 0, ("alpha", "beta", 1)), "2.0.0-alpha.beta.1", True, (2, 0, 0)),
        (Version(2, 0, 0, (0, 3, 7)), "2.0.0-0.3.7", True, (2, 0, 0)),
    ],
)
def test_version_str_prerelease_core(version: Version, text: str, prerelease: bool, core: tuple[int, int, int]) -> None:
    assert str(version) == text
    assert version.prerelease is prerelease
    assert version.core == core
    assert parse_version(str(version)) == version  # str round-trips


# --- ordering -----------------------------------------------------------------------------------

# Each strictly less than the next (semver.org §11 plus wash's own tags).
ORDERED = [
    "1.9.0",
    "2.0.0-0",
    "2.0.0-1",
    "2.0.0-2",
    "2.0.0-10",
    "2.0.0-alpha",
    "2.0.0-alpha.1",
    "2.0.0-alpha.beta",
    "2.0.0-beta",
    "2.0.0-beta.2",
    "2.0.0-beta.11",
    "2.0.0-rc.1",
    "2.0.0-rc.2",
    "2.0.0-rc.8",
    "2.0.0-rc.10",
    "2.0.0",
    "2.0.1",
    "2.0.5",
    "2.0.10",
    "2.5.0",
    "2.5.3",
    "2.9.99",
    "2.10.0",
    "2.10.2",
    "2.10.3",
    "2.11.0-rc.1",
    "2.11.0",
    "3.0.0",
    "10.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ORDERED)))
def test_version_ordering(lower: str, higher: str) -> None:
    a, b = V(lower), V(higher)
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert not b < a
    assert not b <= a
    assert a != b
    assert a.key() < b.key()


def test_sorting_a_shuffled_list() -> None:
    shuffled = ORDERED[::2][::-1] + ORDERED[1::2]
    assert [str(v) for v in sorted(V(t) for t in shuffled)] == ORDERED
    assert [str(v) for v in sorted((V(t) for t in shuffled), key=Version.key)] == ORDERED
    assert str(max(V(t) for t in shuffled)) == "10.0.0"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2.10.3", "v2.10.3"),
        ("wash-v2.0.0-rc.8", "2.0.0-rc.8"),
        ("v2.0.0-rc.8", "wash-v2.0.0-rc.8"),
    ],
)
def test_equal_versions_from_different_spellings(a: str, b: str) -> None:
    assert V(a) == V(b)
    assert V(a).key() == V(b).key()
    assert V(a) <= V(b) and V(b) <= V(a)
    assert not V(a) < V(b)
    assert hash(V(a)) == hash(V(b))


def test_numeric_identifiers_sort_before_alphanumeric() -> None:
    assert V("2.0.0-rc.2") < V("2.0.0-rc.10")  # numerically, not as strings
    assert V("2.0.0-1") < V("2.0.0-alpha")
    assert V("2.0.0-rc.99") < V("2.0.0-rc.a")
    assert V("2.0.0-rc.8") < V("2.0.0")
    assert Version(2, 0, 0, ("rc", 8)) < Version(2, 0, 0)


# --- parse_request and pick ---------------------------------------------------------------------

AVAILABLE = [
    V(t)
    for t in [
        "1.9.0",
        "2.0.0",
        "2.0.0-rc.8",
        "2.5.0",
        "2.5.3",
        "2.10.2",
        "2.10.3",
        "2.11.0-rc.1",
        "3.0.0",
    ]
]


@pytest.mark.parametrize(
    ("request_text", "picked"),
    [
        # latest: the newest stable release
        ("latest", "3.0.0"),
        ("LATEST", "3.0.0"),
        (" latest\n", "3.0.0"),
        # exact, in every spelling; a prerelease only when asked for by its own version or tag
        ("2.10.3", "2.10.3"),
        ("v2.10.3", "2.10.3"),
        (" 2.10.3 ", "2.10.3"),
        ("2.0.0", "2.0.0"),
        ("wash-v2.0.0-rc.8", "2.0.0-rc.8"),
        ("2.0.0-rc.8", "2.0.0-rc.8"),
        ("v2.11.0-rc.1", "2.11.0-rc.1"),
        ("2.10.1", None),  # not released
        ("2.0.0-rc.9", None),
        # caret
        ("^2.5", "2.10.3"),
        ("^2.5.1", "2.10.3"),
        ("^2", "2.10.3"),
        ("^2.0.0", "2.10.3"),
        ("^2.x", "2.10.3"),
        ("^3", "3.0.0"),
        ("^2.10.3", "2.10.3"),
        ("^ 2.5", "2.10.3"),
        # tilde
        ("~2.10", "2.10.3"),
        ("~2.10.0", "2.10.3"),
        ("~2.10.3", "2.10.3"),
        ("~2.5.0", "2.5.3"),
        ("~2.5", "2.5.3"),
        ("~2", "2.10.3"),
        ("~2.11", None),  # only 2.11.0-rc.1, a prerelease
        ("~2.0", "2.0.0"),  # not 2.0.0-rc.8
        # x-ranges and partial versions
        ("2.x", "2.10.3"),
        ("2.X", "2.10.3"),
        ("2.*", "2.10.3"),
        ("2.x.x", "2.10.3"),
        ("v2", "2.10.3"),
        ("2", "2.10.3"),
        ("3", "3.0.0"),
        ("3.x", "3.0.0"),
        ("4", None),
        ("2.10", "2.10.3"),
        ("2.10.x", "2.10.3"),
        ("v2.5", "2.5.3"),
        ("2.5", "2.5.3"),
        ("2.5.*", "2.5.3"),
        ("2.11", None),
        ("2.11.x", None),
        ("=2.5.0", "2.5.0"),
        ("=2.5", "2.5.3"),
        # comparators, space meaning "and"
        (">=2.5 <3", "2.10.3"),
        (">= 2.5 < 3", "2.10.3"),
        (">=2.5.0 <3.0.0", "2.10.3"),
        (">=2.5 <2.10", "2.5.3"),
        (">=2.0.0 <=2.5.0", "2.5.0"),
        (">2.10", "3.0.0"),  # means >=2.11.0; 2.11.0-rc.1 is a prerelease
        (">2.10.2", "3.0.0"),
        (">2.5", "3.0.0"),
        (">2", "3.0.0"),
        (">3", None),
        (">=2.10.3", "3.0.0"),
        (">=3", "3.0.0"),
        (">=1", "3.0.0"),  # admits 2.x too; 1.9.0 is below the minimum anyway
        (">=1 <2.1", "2.0.0"),
        ("<=2.10", "2.10.3"),  # means <2.11.0
        ("<=2.10.2", "2.10.2"),
        ("<=2.0.0", "2.0.0"),
        ("<=2", "2.10.3"),
        ("<2.10", "2.5.3"),
        ("<2.5.3", "2.5.0"),
        ("<3", "2.10.3"),
        ("<2.0.1", "2.0.0"),
        # or
        ("^2.5 || ^3", "3.0.0"),
        ("~2.5||~2.10", "2.10.3"),
        (">=2.5 <2.10 || >=3", "3.0.0"),
        ("2.0.0 || 2.5.0", "2.5.0"),
        ("<2.0.0 || 2.5", "2.5.3"),
        ("4 || 2.10", "2.10.3"),
        # anything
        ("*", "3.0.0"),
        ("x", "3.0.0"),
        ("X", "3.0.0"),
    ],
)
def test_pick(request_text: str, picked: str | None) -> None:
    request = parse_request(request_text)
    result = request.pick(AVAILABLE)
    assert (str(result) if result else None) == picked
    # order of the release list does not matter
    assert request.pick(reversed(AVAILABLE)) == result


@pytest.mark.parametrize(
    ("request_text", "exact", "latest"),
    [
        ("2.10.3", Version(2, 10, 3), False),
        ("v2.10.3", Version(2, 10, 3), False),
        ("wash-v2.0.0-rc.8", Version(2, 0, 0, ("rc", 8)), False),
        ("2.0.0-rc.8", Version(2, 0, 0, ("rc", 8)), False),
        ("latest", None, True),
        ("Latest", None, True),
        ("^2.5", None, False),
        ("2.10", None, False),
        ("=2.10.3", None, False),
        ("*", None, False),
    ],
)
def test_request_exact_and_latest(request_text: str, exact: Version | None, latest: bool) -> None:
    request = parse_request(request_text)
    assert request.exact == exact
    assert request.is_latest is latest


def test_request_text_is_stripped() -> None:
    assert parse_request("  v2.10.3\n").text == "v2.10.3"
    assert parse_request(" ^2.5 ").text == "^2.5"


@pytest.mark.parametrize("request_text", ["latest", "*", "x", "2", "^2", ">=2", ">=1", "<3", "2.x || 3.x", ">=0"])
@pytest.mark.parametrize("version", ["2.0.0-rc.8", "2.11.0-rc.1", "3.0.0-alpha", "1.9.0", "0.39.0", "1.99.99"])
def test_ranges_never_match_prereleases_or_pre_2(request_text: str, version: str) -> None:
    assert not parse_request(request_text).matches(V(version))


def test_pick_from_nothing() -> None:
    assert parse_request("latest").pick([]) is None
    assert parse_request("^2").pick([V("1.9.0"), V("2.0.0-rc.8")]) is None
    assert parse_request("2.10.3").pick([V("2.10.2")]) is None


# --- errors -------------------------------------------------------------------------------------

NOT_A_RANGE = "is not a version or range"
TOO_OLD = "older than 2.0.0"


@pytest.mark.parametrize(
    ("request_text", "what", "why"),
    [
        ("", NOT_A_RANGE, "empty"),
        ("   ", NOT_A_RANGE, "empty"),
        ("garbage", NOT_A_RANGE, "not a version"),
        ("lastest", NOT_A_RANGE, "not a version"),
        ("2.10.3.1", NOT_A_RANGE, "not a version"),
        ("vv2.10.3", NOT_A_RANGE, "not a version"),
        ("2.10.3+build", NOT_A_RANGE, "not a version"),
        ("==2.5", NOT_A_RANGE, "not a version"),
        ("^2.5 ||", NOT_A_RANGE, "empty"),
        ("|| ^2.5", NOT_A_RANGE, "empty"),
        ("^2.5 || || ^3", NOT_A_RANGE, "empty"),
        (">*", NOT_A_RANGE, "wildcard"),
        ("<x", NOT_A_RANGE, "wildcard"),
        # asks only for wash 0.x / 1.x
        ("^1", TOO_OLD, "2.x"),
        ("1.x", TOO_OLD, "2.x"),
        ("1", TOO_OLD, "2.x"),
        ("<2", TOO_OLD, "2.x"),
        ("<2.0.0", TOO_OLD, "2.x"),
        ("<=1.99", TOO_OLD, "2.x"),
        ("~1.2", TOO_OLD, "2.x"),
        ("^0.39", TOO_OLD, "2.x"),
        ("~0.1.2", TOO_OLD, "2.x"),
        ("1.9.0", TOO_OLD, "2.x"),
        ("v1.0.0", TOO_OLD, "2.x"),
        ("v0.39.0", TOO_OLD, "2.x"),
        ("1.99.99", TOO_OLD, "2.x"),
        ("1.0.0-rc.1", TOO_OLD, "2.x"),
        ("^1 || ~1.5", TOO_OLD, "2.x"),
        ("<2 || >=3 <2", TOO_OLD, "2.x"),
        # nothing can satisfy it
        (">=3 <2", NOT_A_RANGE, "No version can satisfy it"),
        (">2.5 <2.5", NOT_A_RANGE, "No version can satisfy it"),
        ("^2 ^3", NOT_A_RANGE, "No version can satisfy it"),
        (">=3 <2 || >=4 <3", NOT_A_RANGE, "No version can satisfy it"),
        # a range never names a prerelease
        ("^2.0.0-rc.1", NOT_A_RANGE, "prerelease"),
        ("~2.0.0-rc.1", NOT_A_RANGE, "prerelease"),
        (">=2.0.0-rc.1", NOT_A_RANGE, "prerelease"),
        (">=2.5 <3 || 2.0.0-rc.8", NOT_A_RANGE, "prerelease"),
        ("=2.0.0-rc.8", NOT_A_RANGE, "prerelease"),
    ],
)
def test_parse_request_errors(request_text: str, what: str, why: str) -> None:
    with pytest.raises(ActionError) as caught:
        parse_request(request_text)
    error = caught.value
    assert what in error.what
    assert repr(request_text.strip() or request_text) in error.what
    assert why in error.why
    assert "wash-version:" in error.fix
    assert error.docs == "#setup-wash"


def test_every_comparison_orders_by_the_version_rules_not_by_fields() -> None:
    # as tuples of fields, 2.0.0 < 2.0.0-rc.1 ((), < (…)) would be False and 2.0.0 > 2.0.0-rc.1 would be False
    release, candidate, newer = Version(2, 0, 0), Version(2, 0, 0, ("rc", 1)), Version(2, 0, 1)
    assert candidate < release and candidate <= release and release > candidate and release >= candidate
    assert not release < candidate and not candidate > release
    assert Version(2, 0, 0, (2,)) < Version(2, 0, 0, ("alpha",))  # numeric identifiers before alphanumeric
    assert newer > release >= release and max([candidate, newer, release]) == newer
    assert sorted([newer, release, candidate]) == [candidate, release, newer]


def test_a_version_is_an_immutable_value() -> None:
    assert Version(2, 10, 3) == Version(2, 10, 3) and Version(2, 10, 3) != Version(2, 10, 3, ("rc", 1))
    assert len({Version(2, 10, 3), Version(2, 10, 3)}) == 1
    assert Version(2, 10, 3) != (2, 10, 3, ())  # not a tuple
    with pytest.raises(AttributeError, match="immutable"):
        Version(2, 10, 3).major = 3  # type: ignore[misc]
    assert repr(Version(2, 0, 0, ("rc", 8))) == "Version(major=2, minor=0, patch=0, pre=('rc', 8))"
