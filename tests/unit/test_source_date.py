"""The created rule: SOURCE_DATE_EPOCH, the commit in the checkout, the event payload (GitHub's API: see
tests/integration/test_reproducible.py, through the publish command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import source_date
from wash_actions.oci.timestamps import Instant


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


@pytest.mark.parametrize("sha", ["", "abc", "zz" * 20, "ab" * 20])
def test_no_api_no_token_or_no_object_name_asks_nothing(tmp_path: Path, sha: str):
    api = source_date.CommitApi("http://127.0.0.1:9", "", "acme/app")  # no token: never contacted
    with pytest.raises(ActionError, match="Cannot find the time of commit"):
        source_date.resolve("commit", sha=sha, workspace=tmp_path, env={}, event={}, api=api)
