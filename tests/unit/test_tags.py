"""OCI tag sanitising and the tag list publish resolves from inputs and the Git ref."""

from __future__ import annotations

import re

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import tags
from wash_actions.oci.tags import GitContext, parse_semver, resolve_tags

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


SHA = "0123456789abcdef0123456789abcdef01234567"
HEAD = "fedcba9876543210fedcba9876543210fedcba98"


def push(ref: str) -> GitContext:
    return GitContext(event_name="push", ref=ref, sha=SHA)


PR = GitContext(event_name="pull_request", ref="refs/pull/7/merge", sha=SHA, pr_number=7, pr_head_sha=HEAD)


@pytest.mark.parametrize(
    ("ctx", "expected"),
    [
        (push("refs/tags/v1.2.3"), ["1.2.3", "v1.2.3", "1.2", "1", "latest"]),
        (push("refs/tags/1.2.3"), ["1.2.3", "1.2", "1", "latest"]),
        (push("refs/tags/v0.4.1"), ["0.4.1", "v0.4.1", "0.4", "latest"]),
        (push("refs/tags/v1.3.0-rc.1"), ["1.3.0-rc.1", "v1.3.0-rc.1"]),
        (push("refs/tags/1.3.0-rc.1"), ["1.3.0-rc.1"]),
        (push("refs/tags/v2.0.0-beta.2+build.5"), ["2.0.0-beta.2-build.5", "v2.0.0-beta.2-build.5"]),
        (push("refs/tags/v1.2.3+linux"), ["1.2.3-linux", "v1.2.3-linux", "1.2", "1", "latest"]),
        (push("refs/tags/release-candidate"), ["release-candidate"]),
        (push("refs/tags/v1.2"), ["v1.2"]),
        (push("refs/heads/main"), ["main", "sha-0123456"]),
        (push("refs/heads/feature/Add-OCI"), ["feature-Add-OCI", "sha-0123456"]),
        (push("refs/heads/dependabot/npm_and_yarn/x@1.2"), ["dependabot-npm_and_yarn-x-1.2", "sha-0123456"]),
        (PR, ["pr-7", "sha-fedcba9"]),
        (
            GitContext(event_name="workflow_dispatch", ref="refs/heads/release/2.x", sha=SHA),
            ["release-2.x", "sha-0123456"],
        ),
        (
            GitContext(event_name="workflow_dispatch", ref="refs/tags/v3.1.4", sha=SHA),
            ["3.1.4", "v3.1.4", "3.1", "3", "latest"],
        ),
        (GitContext(event_name="schedule", ref="refs/heads/main", sha=SHA), ["main", "sha-0123456"]),
    ],
)
def test_default_rules(ctx: GitContext, expected: list[str]) -> None:
    plan = resolve_tags([], ctx)
    assert list(plan.tags) == expected
    assert plan.warnings == ()


@pytest.mark.parametrize("ref", ["refs/tags/v1.2.3", "refs/tags/v0.4.1", "refs/tags/v1.3.0-rc.1", "refs/tags/1.2.3"])
def test_a_tag_push_keeps_the_tag_name_as_written(ref: str) -> None:
    """wasmCloud/actions publishes ``github.ref_name``; docker/metadata-action's ``type=ref,event=tag`` keeps it."""
    ctx = push(ref)
    assert ctx.tag in resolve_tags([], ctx).tags


def test_a_prerelease_never_moves_latest_or_major() -> None:
    tags = resolve_tags([], push("refs/tags/v1.3.0-rc.1")).tags
    assert "latest" not in tags and "1" not in tags and "1.3" not in tags


@pytest.mark.parametrize(
    ("explicit", "ctx", "expected", "warned"),
    [
        (["latest"], push("refs/heads/main"), ["latest"], 0),
        (["{{version}}", "{{major}}.{{minor}}"], push("refs/tags/v1.2.3"), ["1.2.3", "1.2"], 0),
        (["sha-{{sha}}", "{{branch}}"], push("refs/heads/main"), ["sha-0123456", "main"], 0),
        (["pr-{{pr}}-{{sha}}"], PR, ["pr-7-fedcba9"], 0),
        (["{{ version }}", "edge"], push("refs/heads/main"), ["edge"], 1),  # no version on a branch
        (["{{tag}}"], push("refs/tags/nightly"), ["nightly"], 0),
        (["a", "a", " b "], push("refs/heads/main"), ["a", "b"], 0),
        (["{{branch}}"], push("refs/heads/Feature/X"), ["Feature-X"], 1),  # a template is sanitised, with a warning
    ],
)
def test_explicit_tags_and_templates(explicit: list[str], ctx: GitContext, expected: list[str], warned: int) -> None:
    plan = resolve_tags(explicit, ctx)
    assert list(plan.tags) == expected
    assert len(plan.warnings) == warned


@pytest.mark.parametrize(
    ("explicit", "ctx", "what"),
    [
        (["{{version}}"], push("refs/heads/main"), "No tag to publish"),
        ([], GitContext(), "No tag to publish"),
        (["..."], push("refs/heads/main"), "is not a valid OCI tag"),
        ([".{{tag}}"], push("refs/tags/-"), "is empty once made a valid OCI tag"),
        (["{{nope}}"], push("refs/heads/main"), "unknown template"),
        # explicit tags are published as written or refused, never rewritten
        (["-latest"], push("refs/heads/main"), "'-latest' is not a valid OCI tag"),
        ([".latest"], push("refs/heads/main"), "'.latest' is not a valid OCI tag"),
        (["l\u0430test"], push("refs/heads/main"), "is not a valid OCI tag"),  # Cyrillic a
        (["Feature/X"], push("refs/heads/main"), "'Feature/X' is not a valid OCI tag"),
        (["x" * 129], push("refs/heads/main"), "is not a valid OCI tag"),
        # templates are sanitised, but two that collapse into one are refused
        (["{{branch}}-a", "{{branch}}-b"], push("refs/heads/" + "b" * 134), "both become"),
        (["{{branch}}", "feature-x"], push("refs/heads/feature/x"), "both become"),
    ],
)
def test_errors(explicit: list[str], ctx: GitContext, what: str) -> None:
    with pytest.raises(ActionError) as caught:
        resolve_tags(explicit, ctx)
    assert what in caught.value.what
    assert caught.value.fix


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("latest", ""),
        ("_x", ""),
        ("x" * 128, ""),
        ("x" * 129, "129 characters long"),
        ("", "empty"),
        ("-latest", "starts with '-'"),
        ("l\u0430test", "U+0430"),
        ("a b", "U+0020"),
    ],
)
def test_invalid_reason(tag: str, reason: str) -> None:
    from wash_actions.oci.tags import invalid_reason

    assert (reason in invalid_reason(tag)) if reason else invalid_reason(tag) == ""


def test_a_sanitised_template_warns_before_and_after() -> None:
    plan = resolve_tags(["{{branch}}"], push("refs/heads/feat/\u0430"))
    assert plan.tags == ("feat--",)
    assert plan.warnings == (
        "tag '{{branch}}' gave 'feat/\u0430', published as 'feat--' (it contains '/' (U+002F); a tag has only "
        "ASCII letters, digits, '.', '_' and '-')",
    )


@pytest.mark.parametrize(("tag", "release"), [("1.2.3", True), ("v1.2.3", True), ("1.2", False), ("1.2.3-rc.1", False)])
def test_is_release(tag: str, release: bool) -> None:
    from wash_actions.oci.tags import is_release

    assert is_release(tag) is release


def test_the_why_of_no_tag_names_the_rule_that_yielded_nothing() -> None:
    with pytest.raises(ActionError) as caught:
        resolve_tags(["{{version}}"], push("refs/heads/main"))
    assert "{{version}} has no value in this run" in caught.value.why


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.2.3", ("1", "2", "3", "", "")),
        ("1.2.3-rc.1+b.7", ("1", "2", "3", "rc.1", "b.7")),
        ("v01.2.3", None),
        ("v1.2", None),
        ("latest", None),
    ],
)
def test_parse_semver(tag: str, expected: tuple[str, ...] | None) -> None:
    semver = parse_semver(tag)
    assert (
        None if semver is None else (semver.major, semver.minor, semver.patch, semver.pre, semver.build)
    ) == expected
