""".github/workflows/update-wash-manifest.yml under act, against the Releases API fake and the local Sigstore stack.

The workflow runs as this repository's own (its checkout is an export of this checkout); its pull-request step
is skipped under act (`!env.ACT`: there is no GitHub to open one on), so a step appended here copies the
manifest and the pull request body the update step wrote, for the assertions.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from tests.conftest import WASH_VERSION, sign_provenance
from tests.integration.test_update_manifest import DARWIN, linux_asset, seeded_manifest, upstream_store
from tests.stacks import act as act_stack
from tests.stacks import releases
from wash_actions.toolchain import known

pytestmark = pytest.mark.act

WORKFLOW = act_stack.ROOT / ".github" / "workflows" / "update-wash-manifest.yml"
MANIFEST = "src/wash_actions/data/wash-releases.json"


def workflow_with_capture() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data = {("on" if key is True else key): value for key, value in data.items()}
    data["on"] = "workflow_dispatch"
    data["jobs"]["update"]["steps"].append(
        {
            "name": "Capture for the test",
            "if": "always()",
            "shell": "bash",
            "run": f'cp {MANIFEST} "$ACT_TEST_OUT/manifest.json"; '
            'cp "$RUNNER_TEMP/wash-manifest-pr.md" "$ACT_TEST_OUT/body.md" || true',
        }
    )
    return data


def run_maintenance(act, tmp_path, store, sigstore, name: str, workflow: dict, *, gh: bool, manifest=None):
    """A maintenance workflow of this repository under act, dispatched in a copy seeded with the manifest (or
    ``manifest``), against ``store`` as the Releases API and ``sigstore`` as the trust root."""
    project = act_stack.copy_project(act.actions_dir, tmp_path / name / "wash-actions")
    seeded_manifest(project / MANIFEST)
    if manifest is not None:
        (project / MANIFEST).write_text(known.dumps(manifest, known.about_text(project / MANIFEST)))
    with releases.serving(store) as server:
        return act.run(
            workflow,
            project=project,
            event="workflow_dispatch",
            repository="acme/wash-actions",
            variables={"WASH_RELEASES_API_URL": server.url},
            env={"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)},
            cache=tmp_path / "runner",
            name=name,
            gh=gh,
        )


def run_update(act, tmp_path, store, sigstore, name: str, *, gh: bool = False):
    result = run_maintenance(act, tmp_path, store, sigstore, name, workflow_with_capture(), gh=gh)
    return result, act.base / "runs" / name / "out"


def test_a_new_release_is_verified_and_proposed(act, sigstore, wash_binary, tmp_path):
    result, out = run_update(act, tmp_path, upstream_store(sigstore, wash_binary), sigstore, "manifest-new")
    assert result.returncode == 0, result.log[-4000:]
    update = result.outputs("update", "update")
    assert update["added"] == "1" and update["versions"] == WASH_VERSION
    assert result.outcome("update", "update") == "success"
    assert "Installing sigstore for verification" in result.log  # the full policy, with sigstore, in this job
    assert f"Verified every binary of v{WASH_VERSION}" in result.log
    listed = known.parse((out / "manifest.json").read_text())
    assert set(listed) == {"2.10.2", WASH_VERSION}
    assert listed[WASH_VERSION].assets[linux_asset()].sha256 == hashlib.sha256(wash_binary.read_bytes()).hexdigest()
    assert DARWIN in listed[WASH_VERSION].assets
    body = (out / "body.md").read_text()
    assert f"### wash {WASH_VERSION} (v{WASH_VERSION})" in body
    assert listed[WASH_VERSION].assets[DARWIN].sha256 in body
    assert "Open or update the pull request" not in result.log  # skipped under act (!env.ACT)


def test_a_release_whose_provenance_fails_is_not_added_and_the_run_fails(act, sigstore, wash_binary, tmp_path):
    store = upstream_store(sigstore, wash_binary)
    covered = {linux_asset(): b"linux 2.11.0"}
    store.add("v2.11.0", linux_asset(), covered[linux_asset()])
    store.add("v2.11.0", DARWIN, b"a darwin binary nobody signed")
    store.add("v2.11.0", "wash.sigstore.json", json.dumps(sign_provenance(sigstore, covered)).encode())
    result, out = run_update(act, tmp_path, store, sigstore, "manifest-bad")
    assert result.returncode != 0
    assert result.outcome("update", "update") == "failure"
    assert "failed provenance verification" in "\n".join(result.errors())
    assert "2.11.0" not in known.parse((out / "manifest.json").read_text())


def test_a_runner_with_gh_verifies_new_releases_without_installing_anything(act, sigstore, wash_binary, tmp_path):
    result, _ = run_update(act, tmp_path, upstream_store(sigstore, wash_binary), sigstore, "manifest-gh", gh=True)
    assert result.returncode == 0, result.log[-4000:]
    assert result.outputs("update", "update")["added"] == "1"
    assert "verified by the GitHub CLI" in result.log
    assert "Installing sigstore" not in result.log and "verified by sigstore-python" not in result.log


RELEASE_WORKFLOW = act_stack.ROOT / ".github" / "workflows" / "release.yml"


def release_until_created() -> dict:
    """release.yml's job up to creating the release: its checkout and the manifest steps (the tag and CHANGELOG
    check is shell over the tag; creating the release and moving the major tag need GitHub)."""
    data = yaml.safe_load(RELEASE_WORKFLOW.read_text())
    data = {("on" if key is True else key): value for key, value in data.items()}
    data["on"] = "workflow_dispatch"
    steps = data["jobs"]["release"]["steps"]
    names = [step.get("name", step.get("uses", "")) for step in steps]
    manifest = names.index("Verify the wash releases the manifest lacks")
    refuse = names.index("Refuse to release without the newest wash in the manifest")
    assert names[refuse + 1] == "Create the GitHub release"  # the refusal comes before the release
    capture = {"name": "Capture for the test", "if": "always()", "shell": "bash"}
    capture["run"] = f'cp {MANIFEST} "$ACT_TEST_OUT/manifest.json"'
    data["jobs"]["release"]["steps"] = [steps[0], *steps[manifest : refuse + 1], capture]
    return data


def run_release(act, tmp_path, store, sigstore, name: str, manifest: dict[str, known.KnownRelease] | None = None):
    return run_maintenance(act, tmp_path, store, sigstore, name, release_until_created(), gh=True, manifest=manifest)


def test_release_is_refused_while_the_newest_wash_is_missing_from_the_manifest(act, sigstore, wash_binary, tmp_path):
    result = run_release(act, tmp_path, upstream_store(sigstore, wash_binary), sigstore, "release-missing")
    assert result.returncode != 0
    assert result.outputs("manifest", "release")["versions"] == WASH_VERSION
    errors = "\n".join(result.errors())
    assert "The manifest of known wash releases is not current" in errors and WASH_VERSION in errors


def test_release_goes_on_when_the_manifest_is_current(act, sigstore, wash_binary, tmp_path):
    first = run_release(act, tmp_path, upstream_store(sigstore, wash_binary), sigstore, "release-verify")
    assert first.outputs("manifest", "release")["added"] == "1", first.log[-4000:]
    current = known.parse((act.base / "runs" / "release-verify" / "out" / "manifest.json").read_text())
    result = run_release(act, tmp_path, upstream_store(sigstore, wash_binary), sigstore, "release-current", current)
    assert result.returncode == 0, result.log[-4000:]
    assert result.outputs("manifest", "release")["added"] == "0"
    assert result.outcome("manifest", "release") == "success"
