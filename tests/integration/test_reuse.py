"""Same source, same digest: publish reuses the digest it published before for a source key (real docker-registry).

Two builds of one source by componentize-py differ byte for byte; here the second build is the first with one more
custom section (what a non-reproducible toolchain does: other bytes, same source). The act tests rebuild for real.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_command, run_git
from tests.stacks import proxy as proxy_stack
from wash_actions.component.sections import custom_section
from wash_actions.oci import layout, timestamps
from wash_actions.oci import registry as oci
from wash_actions.reuse import published as reuse
from wash_actions.reuse import source_key

KEY = "sha256:" + "ab" * 32
OTHER_KEY = "sha256:" + "cd" * 32


@pytest.fixture
def builds(tmp_path: Path, built_python: Path) -> tuple[Path, Path]:
    """Two builds of one source: the same component, the second with other bytes."""
    first = tmp_path / "one" / "hello-python.wasm"
    second = tmp_path / "two" / "hello-python.wasm"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(built_python, path)
    with second.open("ab") as handle:
        handle.write(custom_section("rebuilt-at", b"another run"))
    return first, second


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path):
    def run(component: Path, env: dict[str, str] | None = None, **inputs: str):
        return run_command(
            "publish",
            {"component-path": str(component), "insecure": "true", **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            env=env,
        )

    return run


def digest_of(registry, repository: str, tag: str) -> str:
    return registry.manifest(repository, tag).headers["Docker-Content-Digest"]


def test_a_rebuild_of_the_same_source_reuses_the_release(publish, registry, builds):
    repo = "acme/reuse-release"
    release = {"GITHUB_REF": "refs/tags/v1.0.0"}
    first = publish(builds[0], env=release, registry=registry.host, repository=repo, **{"source-key": KEY})
    assert first.code == 0, first.stdout
    digest = first.outputs["digest"]
    assert first.outputs["reused"] == "false"
    assert first.outputs["source-key"] == KEY
    assert registry.manifest(repo, digest).json()["annotations"][source_key.ANNOTATION] == KEY
    assert digest_of(registry, repo, source_key.tag_for(KEY)) == digest
    # a re-run on a fresh runner: the toolchain wrote other bytes, the source is the same
    again = publish(builds[1], env=release, registry=registry.host, repository=repo, **{"source-key": KEY})
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] == digest
    assert again.outputs["reused"] == "true"
    assert "reused" in again.summary and "same source" in again.summary
    assert {digest_of(registry, repo, t) for t in ("v1.0.0", "1.0.0", "latest")} == {digest}
    # without the key, the other bytes are refused: the release tag names another digest
    refused = publish(builds[1], env=release, registry=registry.host, repository=repo)
    assert refused.code == 1
    assert "Refusing to move published release tag" in refused.stdout


def test_the_hand_off_from_build_in_the_same_job(publish, registry, builds, tmp_path):
    repo = "acme/reuse-handoff"
    temp = tmp_path / "runner" / "temp"
    temp.mkdir(parents=True)
    for build in builds:
        sha = oci.digest_of(build.read_bytes()).removeprefix("sha256:")
        source_key.write_handoff(temp, build, source_key.Handoff(KEY, sha))
    first = publish(builds[0], registry=registry.host, repository=repo, tags="sha-1")
    second = publish(builds[1], registry=registry.host, repository=repo, tags="sha-2")
    assert first.code == 0 and second.code == 0, second.stdout
    assert second.outputs["reused"] == "true"
    assert digest_of(registry, repo, "sha-2") == first.outputs["digest"]


def test_a_component_changed_after_build_is_not_reused(publish, registry, builds, tmp_path):
    repo = "acme/reuse-changed"
    temp = tmp_path / "runner" / "temp"
    temp.mkdir(parents=True)
    first = publish(builds[0], registry=registry.host, repository=repo, tags="a", **{"source-key": KEY})
    source_key.write_handoff(temp, builds[1], source_key.Handoff(KEY, "0" * 64))  # not these bytes
    second = publish(builds[1], registry=registry.host, repository=repo, tags="b")
    assert second.code == 0, second.stdout
    assert second.outputs["reused"] == "false"
    assert second.outputs["digest"] != first.outputs["digest"]
    assert "changed after the build step" in second.stdout
    assert source_key.ANNOTATION not in registry.manifest(repo, "b").json()["annotations"]


def plant(registry, repository: str, component: Path, key: str, tag: str) -> str:
    """Push ``component`` with ``key`` recorded and point ``tag`` at it: a registry writer's move."""
    client = oci.Registry(registry.host, insecure=True)
    wasm = component.read_bytes()
    artifact = layout.build(wasm, timestamps.Instant(1_700_000_000), extra={source_key.ANNOTATION: key})
    client.upload_blob(repository, wasm)
    client.upload_blob(repository, artifact.config)
    client.push_manifest(repository, artifact.digest, artifact.manifest)
    client.push_manifest(repository, tag, artifact.manifest)
    return artifact.digest


def test_a_source_tag_moved_to_another_sources_digest_is_not_reused(publish, registry, builds):
    repo = "acme/reuse-lying-tag"
    planted = plant(registry, repo, builds[1], OTHER_KEY, source_key.tag_for(KEY))
    run = publish(builds[0], registry=registry.host, repository=repo, tags="v", **{"source-key": KEY})
    assert run.code == 0, run.stdout
    assert run.outputs["reused"] == "false"
    assert run.outputs["digest"] != planted
    assert len(run.warnings) == 1 and "records the source key" in run.warnings[0]
    assert digest_of(registry, repo, source_key.tag_for(KEY)) == run.outputs["digest"]  # the index follows


def test_a_lookup_that_times_out_publishes_this_build_with_one_warning(publish, registry, builds, monkeypatch):
    monkeypatch.setattr(reuse, "LOOKUP_SECONDS", 1.0)
    repo = "acme/reuse-timeout"
    with proxy_stack.serving(registry.url) as slow:
        first = publish(builds[0], registry=slow.host, repository=repo, tags="one", **{"source-key": KEY})
        assert first.code == 0, first.stdout
        slow.faults.put(proxy_stack.Fault.slow_body(5.0, method="GET", path=r"/manifests/source-"))
        run = publish(builds[1], registry=slow.host, repository=repo, tags="two", **{"source-key": KEY})
    assert run.code == 0, run.stdout
    assert run.outputs["reused"] == "false"
    assert run.outputs["digest"] != first.outputs["digest"]
    assert len(run.warnings) == 1 and "did not answer the lookup" in run.warnings[0]


def test_a_dry_run_reports_the_key_and_looks_nothing_up(publish, registry, builds):
    run = publish(builds[0], registry=registry.host, repository="acme/reuse-dry", push="false", **{"source-key": KEY})
    assert run.code == 0, run.stdout
    assert json.loads(run.outputs["annotations"])[source_key.ANNOTATION] == KEY
    assert registry.tags("acme/reuse-dry") == []


# ------------------------------------------------------------------------ build skips the build on a hit (reuse-from)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repository with the hello-python example in a sub-directory, committed."""
    from tests.conftest import committed_example

    return committed_example("hello-python", tmp_path / "ws")


def run_in(monkeypatch, capfd, runner: Path, workspace: Path, command: str, inputs: dict[str, str]):
    import os
    import sys

    sha = run_git(workspace, "rev-parse", "HEAD")
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "GITHUB_SHA": sha}
    return run_command(
        command, inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner, workspace=workspace, env=env
    )


def test_build_pulls_what_was_published_for_the_same_source(
    monkeypatch, capfd, tmp_path, registry, checkout, wash_binary
):
    repo = "acme/reuse-build"
    build_inputs = {
        "wash-path": str(wash_binary),
        "skip-fetch": "true",
        "working-directory": "hello-python",
        "reuse-from": f"{registry.host}/{repo}",
        "insecure": "true",
    }
    first = run_in(monkeypatch, capfd, tmp_path / "runner1", checkout, "build", build_inputs)
    assert first.code == 0, first.stdout
    assert first.outputs["reused"] == "false" and first.outputs["source-key"].startswith("sha256:")
    published = run_in(
        monkeypatch,
        capfd,
        tmp_path / "runner1",
        checkout,
        "publish",
        {
            "component-path": first.outputs["component-path"],
            "registry": registry.host,
            "repository": repo,
            "insecure": "true",
            "tags": "one",
        },
    )
    assert published.code == 0, published.stdout
    assert published.outputs["source-key"] == first.outputs["source-key"]
    # a fresh runner on the same commit: nothing built, the published layer pulled and checked
    shutil.rmtree(checkout / "hello-python" / "build")
    again = run_in(monkeypatch, capfd, tmp_path / "runner2", checkout, "build", build_inputs)
    assert again.code == 0, again.stdout
    assert again.outputs["reused"] == "true"
    assert again.outputs["component-path"] == first.outputs["component-path"]
    manifest = registry.manifest(repo, published.outputs["digest"]).json()
    (layer,) = manifest["layers"]
    pulled = Path(again.outputs["component-path"]).read_bytes()
    assert oci.digest_of(pulled) == layer["digest"]
    assert "Skipped the build" in again.stdout and "componentize" not in again.stdout
    # and publish, in that job, points its tags at the same digest
    tagged = run_in(
        monkeypatch,
        capfd,
        tmp_path / "runner2",
        checkout,
        "publish",
        {
            "component-path": again.outputs["component-path"],
            "registry": registry.host,
            "repository": repo,
            "insecure": "true",
            "tags": "two",
        },
    )
    assert tagged.code == 0, tagged.stdout
    assert tagged.outputs["reused"] == "true" and tagged.outputs["digest"] == published.outputs["digest"]
    # a commit that changes the project builds again
    (checkout / "hello-python" / "app.py").write_text((checkout / "hello-python" / "app.py").read_text() + "\n# x\n")
    run_git(checkout, "commit", "-q", "-am", "change")
    changed = run_in(monkeypatch, capfd, tmp_path / "runner3", checkout, "build", build_inputs)
    assert changed.code == 0, changed.stdout
    assert changed.outputs["reused"] == "false"
    assert changed.outputs["source-key"] != first.outputs["source-key"]


def test_the_digest_command_re_derives_a_digest_with_its_source_key(publish, registry, builds, monkeypatch):
    from wash_actions.commands import digest

    run = publish(
        builds[0], registry=registry.host, repository="acme/reuse-derive", push="false", **{"source-key": KEY}
    )
    assert run.code == 0, run.stdout
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1777636800")  # the time run_command gives publish
    assert digest.run([str(builds[0]), "--source-key", KEY]) == run.outputs["digest"]
    assert digest.run([str(builds[0])]) != run.outputs["digest"]


def test_pull_layer_gives_the_layers_bytes_checked_or_says_why_not(registry) -> None:
    client = oci.Registry(registry.host, insecure=True)
    body = b"\0asm\x0d\x00\x01\x00" + b"component" * 100
    blob = client.upload_blob("acme/pulled", body)
    hit = reuse.Hit(oci.Manifest(b"{}", "", "sha256:" + "0" * 64), {}, blob.digest, len(body))
    assert reuse.pull_layer(client, "acme/pulled", hit) == body
    short = reuse.pull_layer(client, "acme/pulled", hit._replace(layer_size=len(body) + 1))
    assert short == f"{registry.host}/acme/pulled@{blob.digest} is not the size its manifest says"
    missing = reuse.pull_layer(client, "acme/pulled", hit._replace(layer_digest="sha256:" + "e" * 64))
    assert isinstance(missing, str) and missing.startswith(f"could not pull {registry.host}/acme/pulled@sha256:eee")
