"""oci: the registry and repository names publish accepts, and loopback (where plain HTTP is allowed)."""

from __future__ import annotations

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ghcr.io", "ghcr.io"),
        ("localhost:5000", "localhost:5000"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("[::1]:5000", "[::1]:5000"),
        ("[::1]", "[::1]"),
        ("registry.example.com", "registry.example.com"),
        ("  ghcr.io/ ", "ghcr.io"),
        ("my-registry.internal:443", "my-registry.internal:443"),
    ],
)
def test_check_registry_accepts_hosts(value: str, expected: str) -> None:
    assert names.check_registry(value) == expected


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("https://ghcr.io", "with:\n  registry: ghcr.io"),
        ("https://ghcr.io/", "with:\n  registry: ghcr.io"),
        ("https://ghcr.io/acme/x", "with:\n  registry: ghcr.io"),
        ("http://localhost:5000", "with:\n  registry: localhost:5000\n  insecure: true"),
        ("http://127.0.0.1:5000/v2/", "with:\n  registry: 127.0.0.1:5000\n  insecure: true"),
        ("oci://registry.example.com", "with:\n  registry: registry.example.com"),
    ],
)
def test_check_registry_rejects_a_scheme(value: str, fix: str) -> None:
    with pytest.raises(ActionError) as caught:
        names.check_registry(value)
    assert "must not include a scheme" in caught.value.what
    assert caught.value.fix == fix
    assert "://" not in caught.value.fix


@pytest.mark.parametrize("value", ["ghcr.io/acme/x", "ghcr.io/acme", "ghcr.io:5000/x", "", "a b"])
def test_check_registry_rejects_non_hosts(value: str) -> None:
    with pytest.raises(ActionError) as caught:
        names.check_registry(value)
    assert "is not a registry host" in caught.value.what
    assert "repository:" in caught.value.fix


@pytest.mark.parametrize(
    ("value", "github_repository", "expected"),
    [
        ("", "acme/hello-world", "acme/hello-world"),
        ("", "Acme/Hello-World", "acme/hello-world"),
        ("", "ACME/My.Repo", "acme/my.repo"),
        ("acme/hello", "", "acme/hello"),
        ("acme/hello", "other/repo", "acme/hello"),
        ("acme/team/hello", "", "acme/team/hello"),
        ("a__b/c.d/e--f", "", "a__b/c.d/e--f"),
        ("hello", "", "hello"),
    ],
)
def test_check_repository(value: str, github_repository: str, expected: str) -> None:
    assert names.check_repository(value, github_repository) == expected


@pytest.mark.parametrize(
    ("value", "github_repository", "what", "fix"),
    [
        ("Acme/Hello", "", "has upper-case letters", "with:\n  repository: acme/hello"),
        ("acme/HELLO-world", "x/y", "has upper-case letters", "with:\n  repository: acme/hello-world"),
        ("acme/hello:tag", "", "is not a valid OCI repository name", None),
        ("Acme/Hello:Tag", "", "is not a valid OCI repository name", None),
        ("acme/hello@sha256:abc", "", "is not a valid OCI repository name", None),
        ("ghcr.io/acme/hello:1", "", "is not a valid OCI repository name", None),
        ("acme//hello", "", "is not a valid OCI repository name", None),
        ("acme/hello/", "", "is not a valid OCI repository name", None),
        ("/acme/hello", "", "is not a valid OCI repository name", None),
        ("-acme/hello", "", "is not a valid OCI repository name", None),
        ("acme/hello_", "", "is not a valid OCI repository name", None),
        ("acme/.github", "", "is not a valid OCI repository name", None),
        ("acme/a___b", "", "is not a valid OCI repository name", None),
        ("", "", "is required outside GitHub Actions", None),
    ],
)
def test_check_repository_rejects(value: str, github_repository: str, what: str, fix: str | None) -> None:
    with pytest.raises(ActionError) as caught:
        names.check_repository(value, github_repository)
    assert what in caught.value.what
    if fix is not None:
        assert caught.value.fix == fix


@pytest.mark.parametrize(
    ("github_repository", "expected"),
    [
        ("acme/.github", "acme/github"),
        ("acme/my-repo_", "acme/my-repo"),
        ("Acme/My__Repo", "acme/my__repo"),
        ("acme/a._-b", "acme/a-b"),
        ("acme/x!y", "acme/x-y"),
        ("acme/...", "acme"),  # a part with nothing usable is left out
    ],
)
def test_the_github_default_is_made_a_valid_name(github_repository: str, expected: str) -> None:
    # a valid name now, never an invalid one that fails later inside the registry
    assert names.check_repository("", github_repository) == expected
    assert names.REPOSITORY.match(expected)


@pytest.mark.parametrize("github_repository", ["...", "_/_", "-/."])
def test_a_github_repository_with_nothing_usable_is_one_clear_error(github_repository: str) -> None:
    with pytest.raises(ActionError, match="No valid OCI repository name can be made"):
        names.check_repository("", github_repository)
