"""Acceptance (issue 16): a JavaScript, a Python and a Rust component published with attestation under act each
carry a build provenance and an SBOM attestation, both verified by an independent verifier (@sigstore/verify
through verify.mjs) and both listed as referrers of the image (docker-registry 2.8 has no referrers API: the
OCI 1.1 fallback index ``sha256-<hex>``). One workflow, one job, three publishes.

The Python step is the migration README's "after" example (wasmCloud/actions names, ``attestation: true``), with
only the registry made local. The JavaScript component is examples/hello-js built by the real wash (jco), its
package-lock.json beside it. The Rust component is made byte by byte here, with the layout wasm-component-ld
gives a wasm32-wasip2 build and cargo-auditable's ``.dep-v0`` section in its core module: no component built
with cargo-auditable is checked into any public repository we could find, and none can be built offline here.
The real wash parses it as a component (``wash inspect`` prints its empty world).
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest
from cyclonedx.model.bom import Bom

from tests.act import steps
from tests.conftest import EXAMPLES, USER_IDENTITY
from tests.unit.test_sbom import AUDIT, rust_component

pytestmark = pytest.mark.act

SLSA = "https://slsa.dev/provenance/v1"
CYCLONEDX = "https://cyclonedx.org/bom"


def workflow(release_url: str, host: str, js: Path, rust: Path) -> str:
    return f"""
on: push
permissions:
  contents: read
  packages: write
  id-token: write
  attestations: write
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
{steps.setup_wash(release_url)}
      - id: build
        uses: acme/wash-actions/actions/build@v1
        with:
          skip-fetch: true
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component_path: ${{{{ steps.build.outputs.component_path }}}}
          registry: {host}
          image_tags: v1,latest
          attestation: true
          insecure: true
      - id: js
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {js}
          project-path: {js.parent.parent}
          registry: {host}
          repository: acme/hello-js
          tags: v1
          attest: true
          insecure: true
      - id: rust
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {rust}
          registry: {host}
          repository: acme/hello-rust
          tags: v1
          attest: true
          insecure: true
"""


def test_js_python_and_rust_each_carry_provenance_and_sbom(
    act, release_server, registry, user_sigstore, built_js, tmp_path
):
    rust = tmp_path / "hello_rust.wasm"
    rust.write_bytes(rust_component(zlib.compress(json.dumps(AUDIT).encode())))
    release_server.store.stored.clear()
    env = {
        **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    payload = {
        "ref": "refs/heads/main",
        "repository": {"full_name": "acme/hello-world", "visibility": "public", "private": False},
    }
    result = act.run(
        workflow(release_server.url, registry.host, built_js, rust),
        project=EXAMPLES / "hello-python",
        env=env,
        payload=payload,
        name="sbom-acceptance",
    )
    assert result.returncode == 0, result.log[-4000:]
    stored = [entry["body"]["bundle"] for entry in release_server.store.stored]
    assert len(stored) == 6  # provenance then SBOM, for each of the three

    packages: dict[str, set[str]] = {}
    for position, (step, repository) in enumerate(
        [("publish", "acme/hello-world"), ("js", "acme/hello-js"), ("rust", "acme/hello-rust")]
    ):
        outputs = result.outputs(step)
        digest = outputs["digest"]
        subject = {"name": f"{registry.host}/{repository}", "digest": {"sha256": digest[7:]}}
        provenance, sbom = stored[2 * position], stored[2 * position + 1]
        statements = {}
        for kind, bundle in (("provenance", provenance), ("sbom", sbom)):
            path = tmp_path / f"{step}-{kind}.sigstore.json"
            path.write_text(json.dumps(bundle))
            check = user_sigstore.verify_with_node(path, None, USER_IDENTITY, user_sigstore.issuer)
            assert check.returncode == 0, (step, kind, check.stderr)
            statements[kind] = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
            assert statements[kind]["subject"] == [subject], (step, kind)
        assert statements["provenance"]["predicateType"] == SLSA
        assert statements["sbom"]["predicateType"] == CYCLONEDX
        # both discoverable in the registry as referrers of the image, each annotated with its predicate type
        index = registry.manifest(repository, "sha256-" + digest[7:]).json()
        listed = {m["digest"]: m["annotations"]["dev.sigstore.bundle.predicateType"] for m in index["manifests"]}
        assert listed == {outputs["attestation-digest"]: SLSA, outputs["sbom-attestation-digest"]: CYCLONEDX}
        for referrer in listed:
            assert registry.manifest(repository, referrer).json()["subject"]["digest"] == digest
        # an independent reader (cyclonedx-python-lib) reads the attested SBOM
        bom = Bom.from_json(statements["sbom"]["predicate"])  # type: ignore[attr-defined]
        assert bom.metadata.component is not None and bom.metadata.component.name == subject["name"]
        packages[step] = {str(c.purl) for c in bom.components if c.purl is not None}

    assert "pkg:npm/%40bytecodealliance/jco@1.15.4" in packages["js"]  # from package-lock.json
    assert {"pkg:cargo/wit-bindgen@0.46.0", "pkg:cargo/bitflags@2.9.4"} <= packages["rust"]  # from .dep-v0
    python_sbom = json.loads(base64.b64decode(stored[1]["dsseEnvelope"]["payload"]))["predicate"]
    made_by = {p["value"] for p in python_sbom["metadata"]["component"]["properties"]}
    # the component's producers section: componentize-py pre-initialises with component-init-transform
    assert any(value.startswith("component-init-transform") for value in made_by), made_by
    assert any(value.startswith("wit-component") for value in made_by), made_by
