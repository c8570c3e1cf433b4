"""registry: the OCI distribution client, against a real registry (Debian's docker-registry on loopback).

The pure parts (credentials from inputs and from docker's config) are table-driven; everything that needs a
server talks to the real one, so the statuses and headers are the registry's, not ours.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest

from tests.helpers import commit_time
from tests.stacks import registry as registry_stack
from wash_actions.errors import ActionError
from wash_actions.oci import layout
from wash_actions.oci.registry import (
    Credentials,
    Registry,
    RegistryError,
    digest_of,
    docker_config_credentials,
    input_credentials,
)

NO_WAIT = {"sleep": lambda seconds: None}  # retries (of a closed port) do not wait


def unique_component() -> bytes:
    """A distinct (empty) component per call: a custom section with random bytes, so every blob is new."""
    payload = b"\x04test" + secrets.token_bytes(16)
    return b"\0asm\x0d\x00\x01\x00" + b"\x00" + bytes([len(payload)]) + payload


def artifact() -> tuple[layout.Artifact, bytes]:
    wasm = unique_component()
    return layout.build(wasm, commit_time()), wasm


def client(reg: registry_stack.RegistryProcess, credentials: Credentials | None = None) -> Registry:
    return Registry(reg.host, insecure=True, credentials=credentials, **NO_WAIT)


def test_a_blob_is_uploaded_once_then_found(registry):
    data = secrets.token_bytes(100)
    reg = client(registry)
    first = reg.upload_blob("unit/blobs", data)
    assert first == (digest_of(data), True)
    again = reg.upload_blob("unit/blobs", data, digest=first.digest)
    assert again == (first.digest, False)
    assert registry.blob("unit/blobs", first.digest) == data


def test_a_manifest_is_stored_byte_for_byte_under_its_digest_and_a_tag(registry):
    made, wasm = artifact()
    reg = client(registry)
    for digest, data in ((made.layer_digest, wasm), (made.config_digest, made.config)):
        reg.upload_blob("unit/manifests", data, digest=digest)
    assert not reg.has_manifest("unit/manifests", made.digest)
    stored = reg.push_manifest("unit/manifests", made.digest, made.manifest)
    assert stored.digest == made.digest
    assert stored.headers["docker-content-digest"] == made.digest  # the registry's header, any case
    assert reg.has_manifest("unit/manifests", made.digest)
    reg.push_manifest("unit/manifests", "v1", made.manifest)
    got = reg.get_manifest("unit/manifests", "v1")
    assert got == made.manifest  # the exact bytes and media type, not re-serialised JSON
    assert reg.resolve("unit/manifests", "v1") == made.digest
    found = reg.find_manifest("unit/manifests", "v1")
    assert found is not None and found[0] == made.manifest
    assert reg.find_manifest("unit/manifests", "v2") is None


def test_a_missing_manifest_is_a_not_found_error(registry):
    with pytest.raises(RegistryError) as caught:
        client(registry).get_manifest("unit/missing", "nope")
    assert (caught.value.kind, caught.value.status, caught.value.host) == ("not-found", 404, registry.host)
    assert "has no such manifest" in caught.value.what


@pytest.mark.parametrize("credentials", [None, Credentials("ci-user", "wrong")], ids=["none", "wrong"])
def test_refused_credentials_are_a_denied_error(auth_registry, credentials):
    with pytest.raises(RegistryError) as caught:
        client(auth_registry, credentials).find_manifest("unit/denied", "v1")
    assert (caught.value.kind, caught.value.status) == ("denied", 401)
    assert "packages: write" in caught.value.fix


def test_the_right_credentials_are_accepted(auth_registry):
    good = Credentials(auth_registry.username, auth_registry.password)
    assert client(auth_registry, good).find_manifest("unit/allowed", "v1") is None


def test_a_closed_port_is_an_unreachable_error():
    host = f"127.0.0.1:{registry_stack.free_port()}"
    with pytest.raises(RegistryError) as caught:
        Registry(host, insecure=True, **NO_WAIT).push_manifest("unit/x", "v1", artifact()[0].manifest)
    assert (caught.value.kind, caught.value.host, caught.value.method) == ("unreachable", host, "PUT")
    assert "while writing v1" in caught.value.what and "insecure: true" in caught.value.fix


def test_credentials_never_show_their_password():
    assert "s3cret" not in repr(Credentials("me", "s3cret"))
    assert Credentials("me", "s3cret").basic() == "Basic " + base64.b64encode(b"me:s3cret").decode()


@pytest.mark.parametrize(
    ("host", "username", "password", "expected"),
    [
        ("ghcr.io", "", "", Credentials("actor", "job-token")),  # GitHub's registry: the job's own
        ("ghcr.io", "me", "pat", Credentials("me", "pat")),
        ("registry.example", "", "", None),  # elsewhere: docker login's
        ("registry.example", "me", "pw", Credentials("me", "pw")),
    ],
)
def test_input_credentials(host, username, password, expected):
    got = input_credentials(host, username, password, job_actor="actor", job_token="job-token")
    assert got == expected


@pytest.mark.parametrize(("username", "password", "missing"), [("me", "", "password"), ("", "pw", "username")])
def test_half_the_credentials_is_one_clear_error(username, password, missing):
    with pytest.raises(ActionError, match=f"Input '{missing}' is missing"):
        input_credentials("ghcr.io", username, password, job_actor="a", job_token="t")


@pytest.mark.parametrize(
    ("auths", "expected"),
    [
        ({"reg.test": {"auth": base64.b64encode(b"u:p:with:colons").decode()}}, Credentials("u", "p:with:colons")),
        ({"https://reg.test": {"username": "u", "password": "p"}}, Credentials("u", "p")),
        ({"other.test": {"username": "u", "password": "p"}}, None),
        ({"reg.test": {"username": "u"}}, None),
    ],
)
def test_docker_config_credentials(tmp_path: Path, auths, expected):
    (tmp_path / "config.json").write_text(json.dumps({"auths": auths}))
    assert docker_config_credentials(tmp_path, "reg.test") == expected


def test_no_docker_config_means_no_credentials(tmp_path: Path):
    assert docker_config_credentials(tmp_path, "reg.test") is None
    (tmp_path / "config.json").write_text("{not json")
    assert docker_config_credentials(tmp_path, "reg.test") is None
