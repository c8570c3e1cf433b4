"""publish's decisions, called with plain values: immutable tags, credentials, what a failed push means."""

from __future__ import annotations

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import registry, tags


@pytest.mark.parametrize(
    ("raw", "mode"), [("", "releases"), ("releases", "releases"), ("ALL", "all"), ("none", "none")]
)
def test_immutable_mode(raw: str, mode: str) -> None:
    assert tags.immutable_mode(raw) == mode


def test_immutable_mode_refuses_anything_else() -> None:
    with pytest.raises(ActionError) as caught:
        tags.immutable_mode("sometimes")
    assert caught.value.what == "Input 'immutable-tags' must be releases, all or none, not 'sometimes'"
    assert "immutable-tags: releases" in caught.value.fix


@pytest.mark.parametrize(
    ("tag", "mode", "kept"),
    [
        ("1.2.3", "releases", True),
        ("v1.2.3", "releases", True),
        ("latest", "releases", False),
        ("1.2", "releases", False),
        ("latest", "all", True),
        ("v1.2.3", "none", False),
    ],
)
def test_immutable(tag: str, mode: str, kept: bool) -> None:
    assert tags.immutable(tag, mode) is kept


@pytest.mark.parametrize(
    ("host", "username", "password", "expected"),
    [
        ("ghcr.io", "", "", registry.Credentials("octocat", "job-token")),  # the job's, on GitHub's registry
        ("ghcr.io", "me", "pat", registry.Credentials("me", "pat")),  # given ones win
        ("registry.example", "", "", None),  # elsewhere: the runner's docker login
        ("registry.example", "me", "pw", registry.Credentials("me", "pw")),
    ],
)
def test_input_credentials(host: str, username: str, password: str, expected: registry.Credentials | None) -> None:
    got = registry.input_credentials(host, username, password, job_actor="octocat", job_token="job-token")
    assert got == expected


@pytest.mark.parametrize(("username", "password", "missing"), [("me", "", "password"), ("", "pw", "username")])
def test_input_credentials_need_both(username: str, password: str, missing: str) -> None:
    with pytest.raises(ActionError) as caught:
        registry.input_credentials("registry.example", username, password, job_actor="a", job_token="t")
    assert caught.value.what == f"Input '{missing}' is missing"
