"""image_refs: the reference grammar, Docker Hub's defaults, digest lengths, pinning."""

from __future__ import annotations

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import references

A = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "name", "tag", "digest", "key", "registry", "repository"),
    [
        ("ghcr.io/acme/app:1.0", "ghcr.io/acme/app", "1.0", "", "ghcr.io/acme/app", "ghcr.io", "acme/app"),
        (f"ghcr.io/acme/app@{A}", "ghcr.io/acme/app", "", A, "ghcr.io/acme/app", "ghcr.io", "acme/app"),
        (f"GHCR.io/acme/app:v1@{A}", "GHCR.io/acme/app", "v1", A, "ghcr.io/acme/app", "ghcr.io", "acme/app"),
        ("localhost:5000/app", "localhost:5000/app", "", "", "localhost:5000/app", "localhost:5000", "app"),
        ("127.0.0.1:5000/a/b:t", "127.0.0.1:5000/a/b", "t", "", "127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b"),
        ("nginx", "nginx", "", "", "docker.io/library/nginx", "registry-1.docker.io", "library/nginx"),
        ("acme/app:2", "acme/app", "2", "", "docker.io/acme/app", "registry-1.docker.io", "acme/app"),
        ("sha512x/app", "sha512x/app", "", "", "docker.io/sha512x/app", "registry-1.docker.io", "sha512x/app"),
        ("[::1]:5000/app", "[::1]:5000/app", "", "", "[::1]:5000/app", "[::1]:5000", "app"),
    ],
)
def test_parse(text, name, tag, digest, key, registry, repository) -> None:
    ref = references.parse(text, where="t")
    assert (ref.name, ref.tag, ref.digest) == (name, tag, digest)
    assert (ref.key, ref.registry, ref.repository) == (key, registry, repository)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (f"ghcr.io/acme/app@{A[:-1]}", "64 lower-case hex digits"),
        (f"ghcr.io/acme/app@{A}a", "65 characters"),
        ("ghcr.io/acme/app@sha256:" + "a" * 128, "128 characters"),
        ("ghcr.io/acme/app@md5:abcd", "no sha256:/sha512: prefix"),
        ("ghcr.io/Acme/app", "lower-case"),
        ("ghcr.io/acme/app:", "is not a tag"),
        ("ghcr.io/acme/app:" + "t" * 129, "is not a tag"),
        ("ghcr.io/acme/app\n::error::x", "no spaces or control characters"),
        ("ghcr.io/acme/app ", "no spaces"),
        ("bad_host:5000:1/app", "not a registry host"),
        ("", "no spaces"),
        ("a" * 5000, "at most 4096"),
    ],
)
def test_bad_references_are_one_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(ActionError) as caught:
        references.parse(text, where="deploy/app.yaml:3")
    assert caught.value.what.startswith("deploy/app.yaml:3: ")
    assert fragment in str(caught.value)
    assert "\n::" not in caught.value.what  # the text is shown escaped


def test_sha512_digests_have_their_own_length() -> None:
    digest = "sha512:" + "b" * 128
    assert references.parse(f"ghcr.io/acme/app@{digest}", where="t").digest == digest


def test_pinned_keeps_the_tag_unless_given_one() -> None:
    ref = references.parse("ghcr.io/acme/app:1.0", where="t")
    assert str(ref.pinned(A)) == f"ghcr.io/acme/app:1.0@{A}"
    assert str(ref.pinned(A, "1.1")) == f"ghcr.io/acme/app:1.1@{A}"
