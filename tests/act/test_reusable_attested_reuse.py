"""The reusable workflow with attestations on, through act: a re-run on the same commit reuses the digest its first
run published and attested (issue 28), although that provenance names the reusable workflow as its signer.

A job of ``uses: acme/wash-actions/.github/workflows/wasm-component.yml@v1`` gets an OIDC token whose
``job_workflow_ref`` is the called workflow and whose ``repository`` is the caller (GitHub's OIDC claims; Fulcio
puts the first in the Build Signer URI and the SAN, the second in the Source Repository URI). The local Sigstore
stack here issues exactly those claims, as GitHub's token endpoint would to this workflow's jobs (act has no OIDC
endpoint: the stack stands in for it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.act.test_attest_act import push_event
from tests.act.test_reusable_workflow import caller, monorepo, reported
from tests.conftest import WASH_VERSION
from tests.stacks import sigstore_stack
from tests.stacks.act import setup_wash_only

pytestmark = pytest.mark.act

CALLED = "acme/wash-actions/.github/workflows/wasm-component.yml@refs/tags/v1"
DATE = "2026-05-01T12:00:00Z"


@pytest.fixture(scope="module")
def called_sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    """Tokens of the reusable workflow's jobs, called from acme/hello-world's workflow on main."""
    claims = {
        "repository": "acme/hello-world",
        "ref": "refs/heads/main",
        "workflow_ref": "acme/hello-world/.github/workflows/components.yml@refs/heads/main",
        "job_workflow_ref": CALLED,
    }
    with sigstore_stack.running(tmp_path_factory.mktemp("called-sigstore"), claims) as stack:
        yield stack


def test_a_rerun_reuses_what_the_reusable_workflow_attested(act, release_server, registry, called_sigstore, tmp_path):
    warm = act.run(setup_wash_only(WASH_VERSION, release_server.url), name="attested-reuse-warm")
    assert warm.returncode == 0, warm.log[-3000:]
    env = {
        **{k: v for k, v in called_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(called_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    repo = monorepo(tmp_path / "monorepo-attested")
    shutil.rmtree(repo / "components" / "js")  # one project is enough here

    def workflow(**extra: str) -> str:
        text = caller(release_server.url, registry.host, attest="true", **extra)
        return text.replace("repository-prefix: Acme/Mono", "repository-prefix: acme/attested-reuse")

    runs = []
    for n in range(2):
        name = f"attested-reuse-{n}"
        result = act.run(workflow(), project=repo, name=name, env=env, payload=push_event("public"), commit_date=DATE)
        assert result.returncode == 0, "\n".join(x for x in result.log.splitlines() if "error" in x.lower())[-6000:]
        (entry,) = json.loads(reported(act, name, "results"))
        runs.append((entry, result))
    (first, _), (second, log) = runs
    assert first["reused"] == "false" and "/acme/hello-world/attestations/" in first["attestation-url"]
    assert second["reused"] == "true" and second["digest"] == first["digest"], log.log[-6000:]
    assert second["attestation-url"] == ""  # no new provenance for bytes the re-run did not build
    verified = [line for line in log.log.splitlines() if "Verified:" in line]
    assert verified and all(f"signed by https://github.com/{CALLED}" in line for line in verified), verified
    assert "Not reusing" not in log.log
    assert "Skipped the build" in log.log  # build pulled the attested component instead of building it
    tag = registry.manifest("acme/attested-reuse/py", "v2.0.0")
    assert tag.headers["Docker-Content-Digest"] == first["digest"]

    # changed: only — discover verifies the same provenance and starts no job for the unchanged project
    only = workflow(changed="only").replace("tags: v2.0.0", "tags: c2")
    result = act.run(
        only, project=repo, name="attested-reuse-only", env=env, payload=push_event("public"), commit_date=DATE
    )
    assert result.returncode == 0, "\n".join(x for x in result.log.splitlines() if "error" in x.lower())[-6000:]
    (entry,) = json.loads(reported(act, "attested-reuse-only", "results"))
    assert entry["outcome"] == "unchanged" and entry["digest"] == first["digest"], result.log[-6000:]
    assert reported(act, "attested-reuse-only", "count") == "0"
    assert registry.manifest("acme/attested-reuse/py", "c2").headers["Docker-Content-Digest"] == first["digest"]
