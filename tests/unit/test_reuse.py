"""reuse.check_manifest: which manifests under a source key's tag may be reused (plain values, no registry)."""

from __future__ import annotations

import json

import pytest

from wash_actions.oci.layout import CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from wash_actions.oci.registry import Manifest, digest_of
from wash_actions.reuse import published, source_key

KEY = "sha256:" + "12" * 32


def manifest(*, key: str = KEY, media_type: str = MANIFEST_MEDIA_TYPE, **changes: object) -> Manifest:
    data: dict[str, object] = {
        "annotations": {source_key.ANNOTATION: key, "org.opencontainers.image.revision": "abc123"},
        "config": {"digest": "sha256:" + "c" * 64, "mediaType": CONFIG_MEDIA_TYPE, "size": 10},
        "layers": [{"digest": "sha256:" + "d" * 64, "mediaType": LAYER_MEDIA_TYPE, "size": 1234}],
        "mediaType": MANIFEST_MEDIA_TYPE,
        "schemaVersion": 2,
    }
    data.update(changes)
    body = json.dumps(data).encode()
    return Manifest(body, media_type, digest_of(body))


def test_a_component_manifest_that_records_the_key_is_a_hit() -> None:
    hit = published.check_manifest(manifest(), KEY)
    assert isinstance(hit, published.Hit)
    assert hit.layer_digest == "sha256:" + "d" * 64 and hit.layer_size == 1234
    assert hit.commit == "abc123"


@pytest.mark.parametrize(
    ("found", "why"),
    [
        pytest.param(manifest(key="sha256:" + "34" * 32), "records the source key", id="another-key"),
        pytest.param(manifest(key=KEY[:-1] + "3"), "records the source key", id="same-tag-prefix-other-key"),
        pytest.param(manifest(annotations={}), "records the source key", id="no-key"),
        pytest.param(manifest(media_type="application/vnd.oci.image.index.v1+json"), "not an OCI image", id="index"),
        pytest.param(manifest(layers=[]), "exactly one layer", id="no-layer"),
        pytest.param(
            manifest(layers=[{"digest": "sha256:" + "d" * 64, "mediaType": "application/tar", "size": 1}]),
            "application/wasm",
            id="not-wasm",
        ),
        pytest.param(manifest(config={"mediaType": "application/json"}), "config", id="not-a-component-config"),
    ],
)
def test_anything_else_is_refused_with_a_reason(found: Manifest, why: str) -> None:
    result = published.check_manifest(found, KEY)
    assert isinstance(result, str) and why in result


def test_a_manifest_that_is_not_json_is_refused() -> None:
    assert "not JSON" in str(published.check_manifest(Manifest(b"{", MANIFEST_MEDIA_TYPE, digest_of(b"{")), KEY))
