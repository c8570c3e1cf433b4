"""The pure parts of a reproducible publish: times as chrono writes them, the created rule, immutable tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions import component, release, source_date
from wash_actions.errors import ActionError
from wash_actions.timestamps import Instant, parse_rfc3339


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


def test_created_modes():
    assert source_date.check_mode("") == "commit"
    assert source_date.check_mode("NOW") == "now"
    with pytest.raises(ActionError, match="not commit, now or an RFC 3339"):
        source_date.check_mode("2026")


def test_source_date_epoch_wins_and_must_be_a_number(tmp_path: Path):
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    got = source_date.resolve("commit", sha="ab" * 20, workspace=tmp_path, env=env, event={})
    assert got.instant == Instant(1700000000) and got.source == "SOURCE_DATE_EPOCH"
    with pytest.raises(ActionError, match="is not a number of seconds"):
        source_date.resolve("commit", sha="", workspace=tmp_path, env={"SOURCE_DATE_EPOCH": "soon"}, event={})


def test_the_event_payload_names_the_commit_it_times(tmp_path: Path):
    sha = "ab" * 20
    event = {"head_commit": {"id": "cd" * 20, "timestamp": "2026-01-01T00:00:00Z"}}
    with pytest.raises(ActionError, match="Cannot find the time of commit"):
        source_date.resolve("commit", sha=sha, workspace=tmp_path, env={}, event=event)  # another commit's time
    event = {"workflow_run": {"head_commit": {"id": sha, "timestamp": "2026-01-01T01:00:00+01:00"}}}
    got = source_date.resolve("commit", sha=sha, workspace=tmp_path, env={}, event=event)
    assert got.instant == Instant(1767225600)


IMAGE = "ghcr.io/acme/c"
NEW = "sha256:" + "1" * 64
OLD = "sha256:" + "2" * 64


@pytest.mark.parametrize(
    ("previous", "mode", "refused"),
    [
        ({"1.0.0": NEW, "latest": OLD}, "releases", False),  # a re-run: the release tag already names this digest
        ({"1.0.0": OLD, "latest": OLD}, "releases", True),
        ({"1.0.0": "", "latest": OLD}, "releases", False),
        ({"1.0.0": OLD}, "none", False),
        ({"latest": OLD}, "all", True),
        ({"latest": NEW}, "all", False),
        ({"latest": release.UNKNOWN}, "all", False),  # unreadable: warned about, not enforceable
    ],
)
def test_immutable_tags_accept_the_same_digest_only(previous, mode, refused):
    if refused:
        with pytest.raises(ActionError, match="Refusing to move published release tag"):
            release.check_immutable(previous, IMAGE, NEW, mode)
    else:
        release.check_immutable(previous, IMAGE, NEW, mode)


def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name(text: str, lead: int = 0x00) -> bytes:
    return bytes([lead]) + leb(len(text)) + text.encode()


def section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + leb(len(body)) + body


def test_the_reader_takes_every_extern_kind_and_skips_nested_components():
    imports = (
        leb(5)
        + name("wasi:io/poll@0.2.9")
        + b"\x05"
        + leb(0)  # instance
        + name("log", 0x01)
        + b"\x01"
        + leb(1)  # func, the older 0x01 name byte
        + name("cfg")
        + b"\x02"
        + b"\x73"  # value of a primitive type
        + name("res")
        + b"\x03\x01"  # type (sub resource)
        + name("plug")
        + b"\x00\x11"
        + leb(2)  # core module
    )
    nested = section(4, component.PREAMBLE + section(10, leb(1) + name("inner") + b"\x01\x00"))  # not ours
    exports = leb(2) + name("wasi:http/incoming-handler@0.2.0") + b"\x05" + leb(0) + b"\x00"
    exports += name("run", 0x02) + leb(1) + b"\x01" + leb(1) + b"x"  # options: a version suffix
    exports += b"\x01" + leb(3) + b"\x01\x01" + leb(1)  # func 3, described as func type 1
    wasm = component.PREAMBLE + nested + section(10, imports) + section(11, exports) + section(0, name("x")[1:])
    world = component.parse(wasm)
    assert [(e.name, e.kind) for e in world.imports] == [
        ("wasi:io/poll@0.2.9", "instance"),
        ("log", "func"),
        ("cfg", "value"),
        ("res", "type"),
        ("plug", "module"),
    ]
    assert [(e.name, e.kind) for e in world.exports] == [
        ("wasi:http/incoming-handler@0.2.0", "instance"),
        ("run", "func"),
    ]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\0asm\x01\x00\x00\x00", "core WebAssembly module"),
        (b"PK\x03\x04", "no component preamble"),
        (component.PREAMBLE + b"\x0a\x10\x01", "runs past the end"),
        (component.PREAMBLE + section(10, leb(1) + name("x") + b"\x09\x00"), "invalid extern kind 0x09"),
        (component.PREAMBLE + section(10, leb(1) + b"\x00\xff\xff\xff\xff\x1f"), "LEB128"),
        (component.PREAMBLE + section(10, leb(1) + b"\x00\x02\xff\xfe\x05\x00"), "not UTF-8"),
    ],
)
def test_what_is_not_a_component_is_one_clear_error(data, why):
    with pytest.raises(ActionError) as caught:
        component.read_world(data, name="x.wasm")
    assert "x.wasm is not a readable WebAssembly component" in caught.value.what
    assert why in caught.value.why
