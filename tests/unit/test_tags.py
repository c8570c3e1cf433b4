"""OCI tag sanitising and the tag list publish resolves from inputs and the Git ref."""

from __future__ import annotations

import re

import pytest

from wash_actions import tags
from wash_actions.errors import ActionError

OCI_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("latest", "latest"),
        ("v1.2.3", "v1.2.3"),
        ("feature/login", "feature-login"),
        ("refs/heads/main", "refs-heads-main"),
        ("dependabot/npm_and_yarn/lodash-4.17.21", "dependabot-npm_and_yarn-lodash-4.17.21"),
        ("my tag", "my-tag"),
        ("  v1.0  ", "v1.0"),
        ("a\tb", "a-b"),
        ("héllo", "h-llo"),
        ("ünïcode", "n-code"),
        ("release/日本", "release---"),
        ("café+build:1", "caf--build-1"),
        (".hidden", "hidden"),
        ("..v1", "v1"),
        ("-rc", "rc"),
        ("--.-.v2", "v2"),
        ("/leading-slash", "leading-slash"),
        ("_private", "_private"),
        ("UPPER_case", "UPPER_case"),
        ("a" * 200, "a" * 128),
        ("-" * 10 + "b" * 200, "b" * 128),
        ("x/" * 100, ("x-" * 64)),
    ],
)
def test_sanitize(raw: str, expected: str) -> None:
    result = tags.sanitize(raw)
    assert result == expected
    assert OCI_TAG.match(result), result


@pytest.mark.parametrize("raw", ["", "   ", "...", "---", "-.-", "日本", "///", ". -"])
def test_sanitize_to_empty(raw: str) -> None:
    assert tags.sanitize(raw) == ""


@pytest.mark.parametrize(
    ("explicit", "ref_name", "expected"),
    [
        (["v1.0.0", "latest"], "main", ["v1.0.0", "latest"]),
        (["latest"], "", ["latest"]),
        ([], "main", ["main"]),
        ([], "feature/login", ["feature-login"]),
        ([], "v1.2.3", ["v1.2.3"]),
        (["v1", "v1"], "main", ["v1"]),
        (["feature/x", "feature-x", "latest"], "main", ["feature-x", "latest"]),
        (["b", "a", "b", "c"], "main", ["b", "a", "c"]),
        (["release 1", " release/1 "], "", ["release-1"]),
    ],
)
def test_resolve_tags(explicit: list[str], ref_name: str, expected: list[str]) -> None:
    assert tags.resolve_tags(explicit, ref_name) == expected


@pytest.mark.parametrize(
    ("explicit", "ref_name", "what"),
    [
        ([], "", "No tag to publish"),
        (["..."], "main", "Tag '...' is empty"),
        (["latest", "---"], "main", "Tag '---' is empty"),
        ([], "日本", "Tag '日本' is empty"),
    ],
)
def test_resolve_tags_errors(explicit: list[str], ref_name: str, what: str) -> None:
    with pytest.raises(ActionError) as caught:
        tags.resolve_tags(explicit, ref_name)
    assert what in caught.value.what
    assert caught.value.fix == "with:\n  tags: latest"
    assert caught.value.docs == "#publish"
