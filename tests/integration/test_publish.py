"""publish in-process: the real wash pushing to a real docker-registry, with and without auth."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers import assert_one_clear_error, run_command


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, wash_binary, built_python):
    def run(env: dict[str, str] | None = None, **inputs: str):
        return run_command(
            "publish",
            {"component-path": str(built_python), "insecure": "true", **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            env=env,
        )

    return run


@pytest.mark.parametrize("count", [1, 3, 12])
def test_every_tag_resolves_to_the_one_pushed_digest(publish, registry, count):
    repo = f"acme/tags-{count}"
    tags = [f"t{i}" for i in range(count)]
    run = publish(registry=registry.host, repository=repo, tags=",".join(tags))
    assert run.code == 0, run.stdout
    digest = run.outputs["digest"]
    assert registry.tags(repo) == sorted(tags)
    for tag in tags:
        assert registry.manifest(repo, tag).headers["Docker-Content-Digest"] == digest
    assert json.loads(run.outputs["tags"]) == [f"{registry.host}/{repo}:{t}" for t in tags]
    assert run.outputs["image"] == f"{registry.host}/{repo}"
    assert run.outputs["image-ref"] == f"{registry.host}/{repo}@{digest}"


def test_default_tags_of_a_branch_push(publish, registry):
    run = publish(registry=registry.host, repository="acme/default-tag")
    assert run.code == 0, run.stdout
    assert registry.tags("acme/default-tag") == ["main", "sha-0123456"]


def test_default_tags_of_a_release_tag_push(publish, registry):
    run = publish(registry=registry.host, repository="acme/release", env={"GITHUB_REF": "refs/tags/v1.4.2"})
    assert run.code == 0, run.stdout
    assert registry.tags("acme/release") == ["1", "1.4", "1.4.2", "latest", "v1.4.2"]  # the tag as written too
    digests = {
        registry.manifest("acme/release", t).headers["Docker-Content-Digest"] for t in registry.tags("acme/release")
    }
    assert digests == {run.outputs["digest"]}
    assert run.outputs["all_digests"] == ",".join([run.outputs["digest"]] * 5)


def test_pull_request_tags_use_the_head_commit(publish, registry, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42, "head": {"sha": "abcdef1234567890" * 2 + "abcdefab"}}}))
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/42/merge", "GITHUB_EVENT_PATH": str(event)}
    run = publish(registry=registry.host, repository="acme/pr", env=env)
    assert run.code == 0, run.stdout
    assert registry.tags("acme/pr") == ["pr-42", "sha-abcdef1"]


def test_dry_run_pushes_nothing(publish, registry):
    run = publish(registry=registry.host, repository="acme/dry", tags="v1,latest", push="false")
    assert run.code == 0, run.stdout
    assert registry.tags("acme/dry") == []
    assert run.outputs["digest"].startswith("sha256:")  # the digest a push would give (test_reproducible)
    assert json.loads(run.outputs["tags"]) == [f"{registry.host}/acme/dry:v1", f"{registry.host}/acme/dry:latest"]
    assert "dry run" in run.summary


def test_annotations_and_artifact_declaration(publish, registry, tmp_path):
    artifacts = tmp_path / "artifacts.txt"
    artifacts.write_text("")
    run = publish(
        registry=registry.host, repository="acme/annotated", tags="v1", env={"GITHUB_ARTIFACTS": str(artifacts)}
    )
    assert run.code == 0, run.stdout
    annotations = json.loads(run.outputs["annotations"])
    assert "org.opencontainers.image.created" in annotations
    assert annotations == registry.manifest("acme/annotated", "v1").json()["annotations"]
    assert artifacts.read_text().strip() == f"oci://{registry.host}/acme/annotated@{run.outputs['digest']}"


def test_image_tags_alias(publish, registry):
    run = publish(registry=registry.host, repository="acme/alias", image_tags="one,two")
    assert run.code == 0, run.stdout
    assert registry.tags("acme/alias") == ["one", "two"]


def test_credentials_reach_an_htpasswd_registry(publish, auth_registry):
    run = publish(
        registry=auth_registry.host,
        repository="acme/private",
        tags="v1,latest",
        username=auth_registry.username,
        password=auth_registry.password,
    )
    assert run.code == 0, run.stdout
    assert auth_registry.tags("acme/private") == ["latest", "v1"]
    assert auth_registry.password not in run.stdout + run.stderr
    assert auth_registry.password not in run.summary


def test_wrong_password_is_refused_and_pushes_nothing(publish, auth_registry):
    run = publish(
        registry=auth_registry.host,
        repository="acme/denied",
        tags="v1",
        username=auth_registry.username,
        password="not-the-password",
    )
    assert_one_clear_error(run, "denied access")
    assert auth_registry.tags("acme/denied") == []


def test_unreachable_registry(publish):
    assert_one_clear_error(publish(registry="127.0.0.1:1", repository="acme/x", tags="v1"), "unreachable")


def test_missing_component(publish, registry, tmp_path):
    run = publish(
        registry=registry.host, repository="acme/x", tags="v1", **{"component-path": str(tmp_path / "x.wasm")}
    )
    assert_one_clear_error(run, "does not exist")


def test_core_module_is_refused(publish, registry, tmp_path):
    core = tmp_path / "core.wasm"
    core.write_bytes(b"\0asm\x01\x00\x00\x00")
    run = publish(registry=registry.host, repository="acme/core", tags="v1", **{"component-path": str(core)})
    assert_one_clear_error(run, "core WebAssembly module")
    assert registry.tags("acme/core") == []


def test_insecure_refused_for_remote_registry(publish):
    assert_one_clear_error(publish(registry="registry.example.com", repository="acme/x", tags="v1"), "insecure")


def test_publish_runs_no_wash(publish, registry, monkeypatch, tmp_path):
    """publish pushes the layout itself: wash is neither needed on PATH nor run (wash-path is only a notice)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("wash", path=str(tmp_path)) is None
    run = publish(registry=registry.host, repository="acme/no-wash", tags="v1", **{"wash-path": ""})
    assert run.code == 0, run.stdout
    assert registry.tags("acme/no-wash") == ["v1"]
    assert "wash-path is deprecated" not in run.stdout


def test_wash_path_is_accepted_with_a_deprecation_notice(publish, registry):
    run = publish(registry=registry.host, repository="acme/wash-path", tags="v1", **{"wash-path": "/usr/bin/wash"})
    assert run.code == 0, run.stdout
    assert "::notice title=publish%3A wash-path is deprecated::" in run.stdout
