"""scripts/demo: the example pipeline under act against a throwaway local registry.

Starts docker-registry on a free 127.0.0.1 port, a local Sigstore stack, and a loopback fake of GitHub's
Releases API serving the real wash binary with its signed provenance; runs
examples/workflows/component.yml through act exactly as written (checkout → setup-wash → build →
publish); pulls the pushed component back with skopeo and compares it with the built bytes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.stacks import act as act_stack
from tests.stacks import registry as registry_stack
from tests.stacks import releases, sigstore_stack, upstream

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wash-actions-demo-") as tmp:
        base = Path(tmp)
        workflow_ref = "acme/hello-python/.github/workflows/component.yml@refs/heads/main"
        user_claims = {
            "repository": "acme/hello-python",
            "workflow_ref": workflow_ref,
            "job_workflow_ref": workflow_ref,
        }
        with (
            registry_stack.running(base / "registry") as reg,
            sigstore_stack.running(base / "sigstore", upstream.RELEASE_CLAIMS) as sigstore,
            sigstore_stack.running(base / "user-sigstore", user_claims) as user_sigstore,
        ):
            store = upstream.release_store(releases.real_wash())
            upstream.publish_provenance(store, sigstore, releases.real_wash())
            with releases.serving(store) as server:
                return run_pipeline(base, reg, server, sigstore, user_sigstore)


def run_pipeline(
    base: Path,
    reg: registry_stack.RegistryProcess,
    server: releases.ReleaseServer,
    sigstore: sigstore_stack.SigstoreStack,
    user_sigstore: sigstore_stack.SigstoreStack,
) -> int:
    print(f"registry:       {reg.url} (pid {reg.pid})")
    print(f"wash releases:  {server.url} (Releases API, downloads, attestations)")
    print(f"sigstore:       {sigstore.url} (signed wash's release provenance)")
    act = act_stack.Act.create(base / "act")
    project = act_stack.copy_project(ROOT / "examples" / "hello-python", base / "project")
    workflow = (ROOT / "examples" / "workflows" / "component.yml").read_text()
    started = time.monotonic()
    result = act.run(
        workflow,
        project=project,
        repository="acme/hello-python",
        # a public repository: attested with the public-good instance (the user's stack stands in for it)
        payload={"repository": {"full_name": "acme/hello-python", "visibility": "public", "private": False}},
        variables={
            "WASH_RELEASES_API_URL": server.url,
            "REGISTRY": reg.host,
            "REGISTRY_INSECURE": "true",
            "TOOLS_PREINSTALLED": "true",
        },
        env={
            # the job's OIDC token endpoint (id-token: write) and GitHub's attestations API, both local
            **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
            "GITHUB_API_URL": server.url,
            # setup-wash verifies wash against the upstream stack; publish signs with the user's identity
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path),
            "WASHACTIONS_SIGNING_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        },
        name="demo",
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        print(result.log[-6000:], file=sys.stderr)
        print(f"demo: the pipeline failed under act (exit {result.returncode})", file=sys.stderr)
        return 1
    setup, build, publish = result.outputs("setup"), result.outputs("build"), result.outputs("publish")
    digest = publish["digest"]
    pulled = base / "pulled"
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"docker://{publish['image-ref']}", f"dir:{pulled}"],
        check=True,
    )
    manifest = json.loads((pulled / "manifest.json").read_text())
    (layer,) = manifest["layers"]
    blob = (pulled / layer["digest"].split(":", 1)[1]).read_bytes()
    identical = hashlib.sha256(blob).hexdigest() == build["component-sha256"]
    resolved = reg.manifest("acme/hello-python", digest).headers.get("Docker-Content-Digest")
    verified = next((line.split("| ", 1)[-1] for line in result.log.splitlines() if "Verified wash" in line), "")
    print(f"wash:           {setup['wash-version']} ({setup['wash-path']})")
    print(f"verification:   {verified or 'not reported'}")
    print(f"component-path: {build['component-path']}")
    print(f"metadata:       {build['metadata']}")
    print(f"digest:         {digest} (resolves in the registry: {resolved == digest})")
    print(f"image-ref:      {publish['image-ref']}")
    print(f"tags:           {', '.join(json.loads(publish['tags']))}")
    print(f"annotations:    {json.dumps(manifest.get('annotations', {}))}")
    print(f"pulled bytes equal built bytes: {identical} ({len(blob):,} bytes)")
    attested = bool(publish.get("attestation-url"))
    if attested:
        stored = server.store.stored[0]  # the provenance; the SBOM attestation follows it
        bundle = base / "attestation.sigstore.json"
        bundle.write_text(json.dumps(stored["body"]["bundle"]))
        check = user_sigstore.verify_with_node(bundle, None, user_sigstore.identity, user_sigstore.issuer)
        index = reg.manifest("acme/hello-python", "sha256-" + digest.split(":", 1)[1]).json()
        print(f"attestation:    {publish['attestation-url']} (referrer {publish['attestation-digest']})")
        print(f"sbom:           {publish.get('sbom-attestation-url', '')} ({publish.get('sbom-path', '')})")
        print(f"                in the registry's referrers index: {len(index.get('manifests', []))} entries")
        print(f"                verified by @sigstore/verify: {check.returncode == 0}")
        attested = check.returncode == 0
    print(f"pipeline under act: {elapsed:.1f} s")
    return 0 if identical and resolved == digest and verified and attested else 1


if __name__ == "__main__":
    sys.exit(main())
