"""git_commit: branch names git and GitHub accept, and the credentials git gets through its environment."""

from __future__ import annotations

import base64

import pytest

from wash_actions.deploy import git_commit
from wash_actions.errors import ActionError


@pytest.mark.parametrize("name", ["wash-actions/promote", "main", "release/v1.2.3", "deploy_prod", "a.b"])
def test_usable_branch_names(name: str) -> None:
    assert git_commit.check_branch(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("-f", "starts with '-'"),
        ("--force", "starts with '-'"),
        ("a..b", "contains '..'"),
        ("a b", "characters other than"),
        ("a~1", "characters other than"),
        ("a:b", "characters other than"),
        ("a\nb", "characters other than"),
        ("a//b", "part is empty"),
        ("a/.hidden", "starts with '.'"),
        ("main.lock", "ends with '.lock'"),
        ("x/", "part is empty"),
        ("x.", "ends with '.lock' or '.'"),
        ("HEAD", "reserved"),
        ("refs/heads/main", "reserved"),
        ("", "it is empty"),
    ],
)
def test_bad_branch_names_are_one_clear_error(name: str, fragment: str) -> None:
    with pytest.raises(ActionError) as caught:
        git_commit.check_branch(name)
    assert fragment in caught.value.why
    assert "branch: wash-actions/promote" in caught.value.fix


def test_auth_env_resets_then_sets_one_header_for_the_server_only() -> None:
    env = git_commit.auth_env("ghs_secret", "https://github.example/")
    key = "http.https://github.example/.extraheader"
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert (env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_VALUE_0"]) == (key, "")
    assert env["GIT_CONFIG_KEY_1"] == key
    basic = env["GIT_CONFIG_VALUE_1"].removeprefix("AUTHORIZATION: basic ")
    assert base64.b64decode(basic) == b"x-access-token:ghs_secret"
    assert git_commit.auth_env("", "https://github.com") == {}


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("https://github.com/acme/x.git", "https"),
        ("HTTP://127.0.0.1:8080/x.git", "http"),
        ("file:///srv/x.git", "file"),
        ("/srv/x.git", "file"),
        ("../x.git", "file"),
        ("C:\\repos\\x.git", "file"),
        ("ssh://git@github.com/acme/x.git", None),
        ("git@github.com:acme/x.git", None),
        ("git://example.invalid/x.git", None),
        ("ext::sh -c evil", None),
        ("evil::https://github.com/acme/x.git", None),
    ],
)
def test_transport_of_allows_https_http_and_local_paths_only(url: str, transport: str | None) -> None:
    assert git_commit.transport_of(url) == transport


def test_one_transport_is_allowed_after_every_other_is_refused() -> None:
    from wash_actions.runner import git_read

    args = git_read.command("push", "x", transport="https")
    settings = [args[i + 1] for i, a in enumerate(args) if a == "-c"]
    assert settings.index("protocol.allow=never") < settings.index("protocol.https.allow=always")
    assert [s for s in settings if s.startswith("protocol.") and s.endswith("=always")] == [
        "protocol.https.allow=always"
    ]
    assert "core.askPass=" in settings and "commit.gpgSign=false" in settings
    assert not any(s.startswith("protocol.") and s.endswith("=always") for s in git_read.command("status"))
    with pytest.raises(ValueError):
        git_read.command("push", transport="ext")
