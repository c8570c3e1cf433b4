"""The one time type: RFC 3339 as chrono writes it, four-digit years, and one ActionError outside 0001-9999."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import source_date
from wash_actions.oci.timestamps import MAX_SECONDS, MIN_SECONDS, Instant, parse_rfc3339


@pytest.mark.parametrize(
    ("seconds", "nanos", "config", "annotation"),
    [
        (1777636800, 0, "2026-05-01T12:00:00Z", "2026-05-01T12:00:00+00:00"),
        (1777636800, 500_000_000, "2026-05-01T12:00:00.500Z", "2026-05-01T12:00:00.500+00:00"),
        (0, 0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00"),
        (-1, 0, "1969-12-31T23:59:59Z", "1969-12-31T23:59:59+00:00"),
        (MIN_SECONDS, 0, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        (-59011459200, 0, "0100-01-01T00:00:00Z", "0100-01-01T00:00:00+00:00"),  # zero-padded, as RFC 3339 says
        (-30610310400, 1, "0999-12-31T00:00:00.000000001Z", "0999-12-31T00:00:00.000000001+00:00"),
        (MAX_SECONDS, 999_999_999, "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999+00:00"),
    ],
)
def test_every_year_is_written_with_four_digits_and_read_back(seconds, nanos, config, annotation):
    instant = Instant(seconds, nanos)
    assert instant.config_time() == config
    assert instant.annotation_time() == annotation
    assert parse_rfc3339(config) == instant == parse_rfc3339(annotation)


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(MIN_SECONDS - 1, 0), (MAX_SECONDS + 1, 0), (10**30, 0), (-(10**30), 0), (0, -1), (0, 1_000_000_000)],
)
def test_an_instant_outside_the_years_0001_to_9999_is_one_action_error(seconds, nanos):
    with pytest.raises(ActionError, match=r"SOURCE_DATE_EPOCH .* is outside the years 0001 to 9999") as caught:
        Instant(seconds, nanos, source="SOURCE_DATE_EPOCH")
    assert "created: now" in caught.value.fix


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01T00:00:00Z",  # RFC 3339's grammar allows it; no OCI reader (chrono, Go, Python) does
        "0001-01-01T00:00:00+00:01",  # year 0 once in UTC
        "9999-12-31T23:00:00-05:00",  # year 10000 once in UTC
    ],
)
def test_a_well_formed_time_outside_the_range_is_refused_not_ignored(value):
    with pytest.raises(ActionError, match=r"the event payload's head_commit.timestamp .* outside the years"):
        parse_rfc3339(value, source="the event payload's head_commit.timestamp")


@pytest.mark.parametrize(
    "value",
    [
        "2026-05-01",
        "yesterday",
        "2026-05-01T12:00:00",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-05-01T24:00:00Z",
        "2026-05-01T12:00:60Z",
        "2026-05-01T12:00:00+24:00",
        "10000-01-01T00:00:00Z",  # five digits: not RFC 3339 at all
        "２０２６-05-01T12:00:00Z",  # non-ASCII digits
        "",
    ],
)
def test_what_is_not_an_rfc3339_date_time_is_none(value):
    assert parse_rfc3339(value) is None


def test_offsets_are_converted_to_utc():
    assert parse_rfc3339("2026-01-01T01:00:00+01:00") == Instant(1767225600)
    assert parse_rfc3339("2025-12-31T19:30:00-04:30") == Instant(1767225600)


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        ("created", "0000-06-01T00:00:00Z", "created: '0000-06-01T00:00:00Z' is outside"),
        ("created", "9999-12-31T23:59:59-00:01", "created: '9999-12-31T23:59:59-00:01' is outside"),
        ("epoch", "253402300800", "SOURCE_DATE_EPOCH '253402300800' is outside"),
        ("epoch", "9" * 5000, "SOURCE_DATE_EPOCH '9999.* is outside"),  # more digits than int() accepts
        ("event", "0000-01-01T00:00:00Z", "head_commit.timestamp '0000-01-01T00:00:00Z' is outside"),
        ("event", "9999-12-31T23:59:59-01:00", "head_commit.timestamp .* is outside"),
    ],
)
def test_every_source_of_created_refuses_out_of_range_with_one_error(tmp_path: Path, where, value, expected):
    sha = "ab" * 20
    env = {"SOURCE_DATE_EPOCH": value} if where == "epoch" else {}
    event = {"head_commit": {"id": sha, "timestamp": value}} if where == "event" else {}
    with pytest.raises(ActionError, match=expected):
        mode = source_date.check_mode(value) if where == "created" else "commit"
        source_date.resolve(mode, sha=sha, workspace=tmp_path, env=env, event=event)


@pytest.mark.parametrize("value", ["²", "١٧٠٠٠٠٠٠٠٠", "-1", "1.5", " 17 00"])
def test_source_date_epoch_is_ascii_digits(tmp_path: Path, value):
    with pytest.raises(ActionError, match="is not a number of seconds"):
        source_date.resolve("commit", sha="", workspace=tmp_path, env={"SOURCE_DATE_EPOCH": value}, event={})


@pytest.mark.parametrize(
    ("nanos", "config", "annotation"),
    [
        (0, "2026-05-01T12:00:00Z", "2026-05-01T12:00:00+00:00"),
        (500_000_000, "2026-05-01T12:00:00.500Z", "2026-05-01T12:00:00.500+00:00"),
        (123_456_000, "2026-05-01T12:00:00.123456Z", "2026-05-01T12:00:00.123456+00:00"),
        (123_456_789, "2026-05-01T12:00:00.123456789Z", "2026-05-01T12:00:00.123456789+00:00"),
    ],
)
def test_times_are_written_as_chrono_writes_them(nanos, config, annotation):
    instant = Instant(1777636800, nanos)
    assert instant.config_time() == config
    assert instant.annotation_time() == annotation
    assert parse_rfc3339(config) == instant == parse_rfc3339(annotation)


@pytest.mark.parametrize("value", ["2026-05-01", "yesterday", "2026-05-01T12:00:00", "2026-13-01T00:00:00Z", ""])
def test_rfc3339_needs_a_full_date_time_with_offset(value):
    assert parse_rfc3339(value) is None
