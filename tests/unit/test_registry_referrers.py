"""Reading an image's attestations from its registry: the referrers API of OCI distribution 1.1, else the
``sha256-<hex>`` tag (as go-containerregistry's ``fetchReferrers`` does for gh's ``--bundle-from-oci``), the bundle
referrers kept by artifactType, each bundle layer read bounded and checked against its digest.

The loopback server answers as the distribution spec says a 1.1 registry does (spec.md "Listing Referrers": 200
with an image index; a registry without the API answers 404, and some 400 or 406). The real registry of the
integration tests (Debian's docker-registry 2.8) has no referrers API: tests/integration/test_verifier_images.py
reads its tag fallback."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.unit.test_transport import reply, start_server
from wash_actions.oci import registry
from wash_actions.trust import bundle_sources

INDEX = "application/vnd.oci.image.index.v1+json"
SUBJECT = "sha256:" + hashlib.sha256(b"the image manifest").hexdigest()
BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    served, httpd = start_server()
    yield served
    httpd.shutdown()
    httpd.server_close()


def client(server) -> registry.Registry:
    return registry.Registry(server.url.removeprefix("http://"), insecure=True)


def index(*descriptors: dict[str, object]) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": list(descriptors)}).encode()


def referrer(server, bundle: bytes, artifact_type: str = BUNDLE_TYPE) -> dict[str, object]:
    """A referrer manifest with the bundle as its first layer, served by digest; its descriptor."""
    manifest = json.dumps({"schemaVersion": 2, "layers": [{"digest": digest(bundle), "size": len(bundle)}]}).encode()
    server.route(f"/v2/acme/app/manifests/{digest(manifest)}", reply(200, manifest))
    server.route(f"/v2/acme/app/blobs/{digest(bundle)}", reply(200, bundle))
    return {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(manifest),
        "artifactType": artifact_type,
    }


def test_the_referrers_api(server):
    sbom = referrer(server, b'{"an": "sbom bundle"}')
    provenance = referrer(server, b'{"a": "provenance bundle"}')
    signature = referrer(server, b"cosign", "application/vnd.dev.cosign.artifact.sig.v1+json")
    server.route(
        f"/v2/acme/app/referrers/{SUBJECT}", reply(200, index(sbom, signature, provenance), {"Content-Type": INDEX})
    )
    got = bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT)
    assert got == [b'{"an": "sbom bundle"}', b'{"a": "provenance bundle"}']
    assert f"/v2/acme/app/manifests/{SUBJECT.replace(':', '-')}" not in server.paths()  # no tag fallback
    assert server.seen[0][2]["Accept"] == INDEX


@pytest.mark.parametrize(
    "answer",
    [reply(404, b"{}"), reply(400, b"{}"), reply(406, b"{}"), reply(200, b"<html>", {"Content-Type": "text/html"})],
    ids=["404", "400", "406", "not-an-index"],
)
def test_without_the_api_the_tag_fallback(server, answer):
    bundle = referrer(server, b'{"a": "bundle"}')
    server.route(f"/v2/acme/app/referrers/{SUBJECT}", answer)
    server.route(
        f"/v2/acme/app/manifests/{SUBJECT.replace(':', '-')}", reply(200, index(bundle), {"Content-Type": INDEX})
    )
    assert bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT) == [b'{"a": "bundle"}']


def test_no_api_and_no_tag_is_none_found(server):
    assert bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT) == []  # every path answers 404


@pytest.mark.parametrize(
    ("routes", "shown"),
    [
        ({"/v2/acme/app/referrers/" + SUBJECT: reply(403, b"{}")}, "denied access"),
        ({"/v2/acme/app/referrers/" + SUBJECT: reply(200, b"[]", {"Content-Type": INDEX})}, "other than an index"),
    ],
    ids=["denied", "not-an-index-body"],
)
def test_a_failing_registry_is_a_failed_source_not_none_found(server, routes, shown):
    for path, handler in routes.items():
        server.route(path, handler)
    with pytest.raises(bundle_sources.SourceFailed, match=shown):
        bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT)


def test_a_bundle_layer_that_is_not_its_digest_is_refused(server):
    sent = b'{"a": "bundle"}'
    descriptor = referrer(server, sent)
    layer = f"/v2/acme/app/blobs/{digest(sent)}"
    server.route(layer, reply(200, b'{"a": "swapped"}'))
    server.route(f"/v2/acme/app/referrers/{SUBJECT}", reply(200, index(descriptor), {"Content-Type": INDEX}))
    with pytest.raises(bundle_sources.SourceFailed):
        bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT)


def test_a_bundle_layer_is_bounded(server, monkeypatch):
    monkeypatch.setattr(bundle_sources, "MAX_BUNDLE", 64)
    descriptor = referrer(server, b"x" * 65)
    server.route(f"/v2/acme/app/referrers/{SUBJECT}", reply(200, index(descriptor), {"Content-Type": INDEX}))
    with pytest.raises(bundle_sources.SourceFailed):
        bundle_sources.fetch_referrers(client(server), "acme/app", SUBJECT)


def test_a_bad_subject_digest_is_refused_before_any_request(server):
    with pytest.raises(bundle_sources.SourceFailed, match="invalid digest"):
        bundle_sources.fetch_referrers(client(server), "acme/app", "sha256:../../x")
    assert server.seen == []
