"""A re-run completes an earlier attempt's publish only when the record says this very run pushed that digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wash_actions.reuse import earlier_attempt
from wash_actions.reuse.earlier_attempt import Record

KEY = "sha256:" + "ab" * 32
DIGEST = "sha256:" + "12" * 32
RECORD = Record("4242", 1, "acme/app", "ghcr.io/acme/app", KEY, DIGEST)
HERE = {
    "run_id": "4242",
    "attempt": "2",
    "repository": "acme/app",
    "image": "ghcr.io/acme/app",
    "key": KEY,
    "digest": DIGEST,
}


def test_the_record_of_this_runs_earlier_attempt_for_this_digest_completes() -> None:
    assert earlier_attempt.refusal(RECORD, **HERE) == ""
    assert earlier_attempt.refusal(RECORD._replace(attempt=2), **{**HERE, "attempt": "3"}) == ""


@pytest.mark.parametrize(
    ("record", "here", "why"),
    [
        (RECORD._replace(run_id="4241"), {}, "from workflow run 4241, not this run (4242)"),
        (RECORD, {"run_id": ""}, "not this run (unknown)"),
        (RECORD, {"attempt": "1"}, "from attempt 1, not an earlier attempt than this one (1)"),
        (RECORD._replace(attempt=3), {}, "from attempt 3, not an earlier attempt"),
        (RECORD._replace(attempt=0), {}, "from attempt 0"),
        (RECORD, {"attempt": ""}, "not an earlier attempt than this one ()"),
        (RECORD._replace(repository="fork/app"), {}, "from the repository fork/app, not acme/app"),
        (RECORD._replace(image="ghcr.io/acme/other"), {}, "for ghcr.io/acme/other, not ghcr.io/acme/app"),
        (RECORD._replace(key="sha256:" + "cd" * 32), {}, "for the source key sha256:cdcd"),
        (RECORD, {"digest": "sha256:" + "34" * 32}, f"attempt 1 of this run pushed {DIGEST}, not sha256:3434"),
    ],
)
def test_anything_else_is_refused_with_the_reason(record: Record, here: dict[str, str], why: str) -> None:
    assert why in earlier_attempt.refusal(record, **{**HERE, **here})


def test_written_and_read_back_where_the_cache_restores_it(tmp_path: Path) -> None:
    path = earlier_attempt.write(tmp_path, RECORD)
    assert path.parent == earlier_attempt.place(tmp_path, KEY) == tmp_path / ".wash-actions" / "attempts" / ("ab" * 16)
    assert earlier_attempt.cache_path(KEY) == "~/.wash-actions/attempts/" + "ab" * 16  # the same text on any runner
    assert earlier_attempt.read(tmp_path, KEY) == RECORD
    assert earlier_attempt.read(tmp_path, "sha256:" + "cd" * 32) is None  # no record for another key
    earlier_attempt.remove(tmp_path, KEY)
    assert not earlier_attempt.place(tmp_path, KEY).exists()
    assert earlier_attempt.read(tmp_path, KEY) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        json.dumps({**RECORD._asdict()}).encode(),  # no format
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "attempt": "1"}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "attempt": True}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "digest": 7}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "pad": "x" * (64 << 10)}).encode(),
    ],
)
def test_a_file_that_is_not_a_record_is_none(tmp_path: Path, content: bytes) -> None:
    path = earlier_attempt.place(tmp_path, KEY) / earlier_attempt.FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert earlier_attempt.read(tmp_path, KEY) is None


def test_cache_keys_name_the_run_the_source_and_the_attempt() -> None:
    prefix = earlier_attempt.cache_prefix("4242", KEY)
    assert prefix == "wash-actions-attempt-4242-" + "ab" * 16 + "-"
    assert earlier_attempt.cache_key("4242", KEY, "3") == prefix + "3"
    assert earlier_attempt.cache_prefix("", KEY) == ""  # outside a workflow run: no record
    assert earlier_attempt.cache_prefix("4242", "sha256:short") == ""
    assert earlier_attempt.cache_key("4242", KEY, "") == ""
