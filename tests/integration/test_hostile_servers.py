"""Hostile servers, through the commands as a runner calls them (issue 14, classes 3, 4 and 5).

A server in front of the real parts (the Releases fake serving the real wash, the real ``docker-registry``)
answers chosen requests the way a broken or malicious server or proxy would: redirects to ``file://`` or in
a loop, HTML or ``[]`` where JSON objects are expected, bearer challenges without a usable realm, manifests
whose bytes do not match their digest, digests that are paths, answers dribbled a byte at a time. Every
case ends in exactly one ``::error`` (what, why, fix) naming the server, exit 1, no traceback, and nothing
half-done: no tag moved before the lie showed, nothing in the tool cache, no file outside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import WASH_VERSION
from tests.helpers import assert_one_clear_error, run_command, time_limit
from tests.stacks import proxy as proxy_stack
from wash_actions.toolchain import install

Respond = Callable[[proxy_stack._Handler], None]


@dataclass
class Rule:
    method: str  # regex, whole method
    path: str  # regex, searched in the path (query included)
    respond: Respond


class Hostile:
    """The proxy stack in front of a real server, with rules that answer matching requests themselves."""

    def __init__(self, proxy: proxy_stack.Proxy, rules: list[Rule]) -> None:
        self.proxy = proxy
        self.rules = rules
        self.seen: list[tuple[str, str, str]] = []  # method, path, Authorization

    @property
    def host(self) -> str:
        return self.proxy.host

    @property
    def url(self) -> str:
        return self.proxy.url

    def on(self, method: str, path: str, respond: Respond) -> None:
        self.rules.append(Rule(method, path, respond))


def _handler_class(hostile_rules: list[Rule], seen: list[tuple[str, str, str]]) -> type[proxy_stack._Handler]:
    import re

    class Handler(proxy_stack._Handler):
        def _serve(self) -> None:
            seen.append((self.command, self.path, self.headers.get("Authorization", "")))
            for rule in hostile_rules:
                if re.fullmatch(rule.method, self.command) and re.search(rule.path, self.path):
                    kind, length = self._body_kind()
                    self._drain(self._body_chunks(kind, length))
                    self._fault = None
                    self._record(0)
                    rule.respond(self)
                    return
            super()._serve()

    return Handler


@pytest.fixture
def hostile_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Hostile]]:
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # backoff waits: counted by the unit tests, not slept
    started: list[proxy_stack.Proxy] = []

    def make(upstream: str) -> Hostile:
        proxy = proxy_stack.Proxy(upstream)
        hostile = Hostile(proxy, [])
        proxy._server.RequestHandlerClass = _handler_class(hostile.rules, hostile.seen)
        proxy.start()
        started.append(proxy)
        return hostile

    yield make
    for proxy in started:
        proxy.stop()


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Respond:
    def respond(h: proxy_stack._Handler) -> None:
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            h.send_header("Content-Length", str(len(body)))
        else:
            h.close_connection = True
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    return respond


def redirect(location: str, status: int = 302) -> Respond:
    return answer(status, b"", {"Location": location})


def html(status: int = 200) -> Respond:
    return answer(
        status, b"<!DOCTYPE html><html><body>Please sign in to the proxy</body></html>", {"Content-Type": "text/html"}
    )


def as_json(value: object, status: int = 200) -> Respond:
    return answer(status, json.dumps(value).encode(), {"Content-Type": "application/json"})


def dribble(size: int, every: float, headers: dict[str, str] | None = None) -> Respond:
    """Headers at once, then one byte every ``every`` seconds: each read is quick, the whole never ends."""

    def respond(h: proxy_stack._Handler) -> None:
        h.send_response(200)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        for _ in range(size):
            if h.server.stopping.wait(every):
                return
            h.wfile.write(b"{")
            h.wfile.flush()

    return respond


def bearer_challenge(challenge: str) -> Respond:
    return answer(
        401,
        b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
        {"WWW-Authenticate": challenge, "Content-Type": "application/json"},
    )


# -- setup-wash ------------------------------------------------------------------------------------------

DOWNLOAD = r"/releases/download/"
ATTESTATIONS = r"/attestations/sha256:"
LIST = r"/repos/wasmCloud/wasmCloud/releases(\?|$)"
BY_TAG = r"/repos/wasmCloud/wasmCloud/releases/tags/"


def nothing_cached(runner: Path) -> bool:
    wash_dir = runner / "tool-cache" / "wash"
    return not wash_dir.exists() or not any(p.is_file() for p in wash_dir.rglob("*"))


# (id, rules as (method, path, respond), inputs, env, fragments of the error line)
SETUP_CASES: list[tuple[str, list[tuple[str, str, Respond]], dict[str, str], dict[str, str], tuple[str, ...]]] = [
    # class 4: downloads
    (
        "download-to-file-scheme",
        [("GET", DOWNLOAD, redirect("file:///etc/passwd"))],
        {},
        {},
        ("file:///etc/passwd", "refused"),
    ),
    ("download-to-ftp", [("GET", DOWNLOAD, redirect("ftp://mirror.example/wash"))], {}, {}, ("ftp://", "refused")),
    (
        "download-to-plain-http-elsewhere",
        [("GET", DOWNLOAD, redirect("http://mirror.example/wash"))],
        {},
        {},
        ("http://mirror.example/wash", "refused"),
    ),
    (
        "download-redirect-loop",
        [("GET", DOWNLOAD + ".*loop", redirect("?loop=1")), ("GET", DOWNLOAD, redirect("?loop=1"))],
        {},
        {},
        ("redirects in a loop",),
    ),
    (
        "download-answers-html",
        [("GET", DOWNLOAD, html())],
        {"checksum": "0" * 64},
        {},
        ("does not match its expected sha256",),
    ),
    ("download-401", [("GET", DOWNLOAD, answer(401, b"{}"))], {}, {}, ("HTTP 401",)),
    (
        "download-too-big",
        [("GET", DOWNLOAD, answer(200, b"", {"Content-Length": str(4 << 30)}))],
        {},
        {},
        ("sent more than",),
    ),
    # class 5: a download dribbled a byte at a time ends at the deadline
    (
        "download-dribbles",
        [("GET", DOWNLOAD, dribble(1 << 20, 0.5))],
        {},
        {"WASHACTIONS_HTTP_DEADLINE": "2"},
        ("did not answer within 2 s",),
    ),
    # class 4: the Releases API (a mirror named by github-api-url)
    (
        "releases-answer-html",
        [("GET", LIST, html())],
        {"wash-version": "latest"},
        {},
        ("something other than a JSON array",),
    ),
    (
        "releases-answer-object",
        [("GET", LIST, as_json({"message": "hi"}))],
        {"wash-version": "latest"},
        {},
        ("something other than a JSON array",),
    ),
    (
        "releases-list-of-garbage",
        [("GET", LIST, as_json(["v2.10.3"]))],
        {"wash-version": "latest"},
        {},
        ("something other than a release object",),
    ),
    ("release-by-tag-answers-list", [("GET", BY_TAG, as_json([]))], {}, {}, ("something other than a JSON object",)),
    (
        "release-without-assets-list",
        [("GET", BY_TAG, as_json({"tag_name": "v" + WASH_VERSION, "assets": "none"}))],
        {},
        {},
        ("assets list",),
    ),
    (
        "releases-to-file-scheme",
        [("GET", LIST, redirect("file:///etc/passwd"))],
        {"wash-version": "latest"},
        {},
        ("file:///etc/passwd", "refused"),
    ),
    (
        "releases-next-page-elsewhere",
        [("GET", LIST, answer(200, b"[]", {"Link": '<file:///etc/passwd>; rel="next"'}))],
        {"wash-version": "latest"},
        {},
        ("next page on the same server",),
    ),
    (
        "releases-dribble",
        [("GET", LIST, dribble(4096, 0.5, {"Content-Type": "application/json"}))],
        {"wash-version": "latest"},
        {"WASHACTIONS_HTTP_DEADLINE": "2"},
        ("unreachable", "did not answer within 2 s"),
    ),
]


@pytest.fixture
def releases_hostile(release_server, hostile_of) -> Hostile:
    return hostile_of(release_server.url)


@pytest.mark.parametrize(("case", "rules", "inputs", "env", "fragments"), SETUP_CASES, ids=[c[0] for c in SETUP_CASES])
def test_setup_wash_against_a_hostile_server(
    case, rules, inputs, env, fragments, releases_hostile, release_server, monkeypatch, capfd, tmp_path
):
    for method, path, respond in rules:
        releases_hostile.on(method, path, respond)
    all_inputs = {
        "wash-version": WASH_VERSION,
        "github-api-url": releases_hostile.url,
        "download-base-url": releases_hostile.url,
        "github-token": "job-token",
        "verify": "false",
        **inputs,
    }
    runner = tmp_path / "runner"
    with time_limit(60, f"setup-wash against a hostile server ({case})"):
        run = run_command("setup-wash", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner, env=env)
    line = assert_one_clear_error(run, *fragments)
    assert releases_hostile.host in line or "sha256" in line  # the server is named
    assert nothing_cached(runner)
    assert run.path == [] and "WASH_HOST_PLUGINS" not in run.env
    assert [p for p in tmp_path.iterdir() if p.name != "runner"] == []  # nothing outside the runner's dirs


def test_download_redirect_chains_are_bounded(releases_hostile, monkeypatch, capfd, tmp_path):
    for n in range(8):
        releases_hostile.on("GET", rf"{DOWNLOAD}.*\?hop={n}$", redirect(f"?hop={n + 1}"))
    releases_hostile.on("GET", DOWNLOAD, redirect("?hop=0"))
    inputs = {"wash-version": WASH_VERSION, "download-base-url": releases_hostile.url, "verify": "false"}
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner")
    assert_one_clear_error(run, releases_hostile.host, "redirected more than 5 times")
    assert nothing_cached(tmp_path / "runner")


# class 4: provenance sources that fail are reported as failed (naming the server), never as "none found"
VERIFY_CASES = [
    ("attestations-html", html(), "something other than a JSON object"),
    ("attestations-empty-list", as_json([]), "something other than a JSON object"),
    ("attestations-403", as_json({"message": "Resource not accessible by integration"}, 403), "HTTP 403"),
    ("attestations-502", html(502), "HTTP 502"),
    ("attestations-to-file", redirect("file:///etc/passwd"), "file:///etc/passwd"),
]


@pytest.mark.parametrize(("case", "respond", "fragment"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_a_failing_provenance_source_is_named(
    case, respond, fragment, releases_hostile, sigstore, monkeypatch, capfd, tmp_path
):
    releases_hostile.on("GET", r"/wash\.sigstore\.json$", answer(404, b"Not Found"))  # no bundle asset
    releases_hostile.on("GET", ATTESTATIONS, respond)
    inputs = {
        "wash-version": WASH_VERSION,
        "github-api-url": releases_hostile.url,
        "download-base-url": releases_hostile.url,
        "verify": "true",
    }
    env = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)}
    runner = tmp_path / "runner"
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner, env=env)
    line = assert_one_clear_error(run, "could not be verified", fragment, releases_hostile.host)
    assert "GitHub attestations API: failed" in line and "none found" not in line.split("attestations API")[1]
    assert nothing_cached(runner)


def test_a_releases_api_redirect_to_another_host_does_not_carry_the_token(
    releases_hostile, release_server, monkeypatch, capfd, tmp_path
):
    releases_hostile.on("GET", LIST, redirect(f"{release_server.url}/repos/wasmCloud/wasmCloud/releases?per_page=100"))
    release_server.store.clear_log()
    inputs = {
        "wash-version": "latest",
        "github-api-url": releases_hostile.url,
        "github-token": "job-token",
        "verify": "false",
    }
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner")
    assert run.code == 0, run.stdout
    assert [a for m, p, a in releases_hostile.seen if "/releases" in p] == ["Bearer job-token"]
    listed = [i for i, p in enumerate(release_server.store.requests) if "/releases?" in p]
    assert listed and all(release_server.store.authorization[i] == "" for i in listed)  # the token stayed home


def test_on_ghes_the_job_token_never_reaches_github_com(release_server, hostile_of, monkeypatch, capfd, tmp_path):
    """GHES job, exact version: no API call at all; the job's token goes nowhere (issue 13 item 3)."""
    github_com = hostile_of(release_server.url)  # stands in for github.com: downloads only
    env = {"GITHUB_SERVER_URL": "https://ghes.example.com", "GITHUB_API_URL": "https://ghes.example.com/api/v3"}
    inputs = {
        "wash-version": WASH_VERSION,
        "download-base-url": github_com.url,
        "github-token": "ghes-job-token",
        "verify": "false",
    }
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=env)
    assert run.code == 0, run.stdout
    assert not any("/repos/" in p for _, p, _ in github_com.seen)  # no Releases API call
    assert all(a == "" for _, _, a in github_com.seen)
    assert "ghes-job-token" not in json.dumps(release_server.store.authorization)


# -- plugins: a digest that is a path --------------------------------------------------------------------


def test_a_plugin_digest_that_is_a_path_creates_nothing_outside_the_cache(
    registry, hostile_of, built_python, wash_binary, monkeypatch, capfd, tmp_path
):
    subprocess.run(
        [
            str(wash_binary),
            "oci",
            "push",
            "--insecure",
            "-o",
            "json",
            f"{registry.host}/plugins/evil:1.0",
            str(built_python),
        ],
        check=True,
        capture_output=True,
    )
    lying = hostile_of(registry.url)
    real = registry.manifest("plugins/evil", "1.0")
    lying.on(
        "GET|HEAD",
        r"/manifests/1\.0$",
        answer(
            200, real.content, {"Content-Type": real.headers["Content-Type"], "Docker-Content-Digest": "sha256:../../x"}
        ),
    )
    runner = tmp_path / "runner"
    inputs = {
        "wash-version": WASH_VERSION,
        "download-base-url": "",
        "verify": "false",
        "plugins": f"{lying.host}/plugins/evil:1.0",
        "plugins-insecure": "true",
    }
    # the binary comes from the tool cache: install it there first, as an earlier job would have
    tool = runner / "tool-cache" / "wash" / WASH_VERSION / "x64"
    tool.mkdir(parents=True)
    (tool / "wash").write_bytes(wash_binary.read_bytes())
    (tool / "wash").chmod(0o755)
    # with the record an install with verify: false writes beside it (install.install_into_cache)
    record = install.Record(install.sha256_file(tool / "wash"), WASH_VERSION, "", install.UNVERIFIED)
    (tool / install.RECORD_FILE).write_text(record.to_json())
    (tool.parent / "x64.complete").write_text("")
    before = {p for p in tmp_path.rglob("*")}
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner)
    assert_one_clear_error(run, lying.host, "sha256:../../x")
    created = {p for p in tmp_path.rglob("*")} - before
    plugins_dir = runner / "tool-cache" / "wash-plugins"
    runner_files = {
        runner / "temp",
        *(runner / f"{n.lower()}.txt" for n in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")),
    }
    outside = [p for p in created if p not in runner_files and plugins_dir not in p.parents and p != plugins_dir]
    assert outside == [], outside
    assert not (runner / "tool-cache" / "x").exists() and not (tmp_path / "x").exists()
    assert "WASH_HOST_PLUGINS" not in run.env


# -- publish -------------------------------------------------------------------------------------------------

BY_DIGEST = r"/manifests/sha256:[0-9a-f]{64}$"
BLOB = r"/blobs/sha256:[0-9a-f]{64}$"
FIRST_READ = r"/manifests/v1$"  # publish's first request: what the first tag names before the push
FOREIGN = json.dumps(
    {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {}, "layers": []}
).encode()
FOREIGN_DIGEST = "sha256:" + hashlib.sha256(FOREIGN).hexdigest()
OCI = "application/vnd.oci.image.manifest.v1+json"


def blob_of_size(size: int) -> Respond:
    """A blob HEAD that names the digest asked for but another size (a registry that stored other bytes)."""

    def respond(h: proxy_stack._Handler) -> None:
        asked = h.path.rsplit("/", 1)[1]
        answer(200, b"", {"Docker-Content-Digest": asked, "Content-Length": str(size)})(h)

    return respond


def lying_tag(h: proxy_stack._Handler) -> None:
    """GET and HEAD of a tag: the foreign bytes, with the digest header of what was pushed (a lying HEAD)."""
    answer(200, FOREIGN, {"Content-Type": OCI, "Docker-Content-Digest": "sha256:" + "a" * 64})(h)


Factory = Callable[[str], Respond]  # given the hostile server's URL


def fixed(respond: Respond) -> Factory:
    return lambda url: respond


def challenge(template: str) -> Factory:
    return lambda url: bearer_challenge(template.replace("{url}", url))


OWN_REALM = 'Bearer realm="{url}/token",service="x"'

# (id, rules, env, fragments); no tag may be written unless ALREADY_WRITTEN says so
PUBLISH_CASES: list[tuple[str, list[tuple[str, str, Factory]], dict[str, str], tuple[str, ...]]] = [
    # class 3: bytes checked against their digest
    (
        "manifest-not-matching-its-digest",
        [("GET", FIRST_READ, fixed(lying_tag))],
        {},
        ("does not match its own digest",),
    ),
    (
        "blob-head-claims-another-digest",
        [("HEAD", BLOB, fixed(answer(200, b"", {"Docker-Content-Digest": FOREIGN_DIGEST, "Content-Length": "0"})))],
        {},
        ("described another one", "Nothing was tagged"),
    ),
    (
        "blob-head-claims-another-size",
        [("HEAD", BLOB, lambda url: blob_of_size(7))],
        {},
        ("Content-Length 7", "described another one"),
    ),
    (
        "manifest-head-claims-another-digest",
        [
            (
                "HEAD",
                BY_DIGEST,
                fixed(answer(200, b"", {"Docker-Content-Digest": FOREIGN_DIGEST, "Content-Length": "0"})),
            )
        ],
        {},
        ("described another one",),
    ),
    (
        "put-by-digest-answers-another-digest",
        [("PUT", BY_DIGEST, fixed(answer(201, b"", {"Docker-Content-Digest": FOREIGN_DIGEST})))],
        {},
        ("under another digest",),
    ),
    (
        "tag-read-back-lies",
        [("GET|HEAD", r"/manifests/latest$", fixed(lying_tag))],
        {},
        ("does not match its own digest",),
    ),
    (
        "put-answers-another-digest",
        [("PUT", r"/manifests/latest$", fixed(answer(201, b"", {"Docker-Content-Digest": FOREIGN_DIGEST})))],
        {},
        ("under another digest", "latest"),
    ),
    # class 4: bearer challenges and token endpoints
    (
        "challenge-without-realm",
        [("GET", FIRST_READ, challenge('Bearer service="registry.test"'))],
        {},
        ("unusable realm",),
    ),
    (
        "challenge-file-realm",
        [("GET", FIRST_READ, challenge('Bearer realm="file:///etc/passwd",service="x"'))],
        {},
        ("file:///etc/passwd",),
    ),
    (
        "challenge-plain-http-realm-elsewhere",
        [("GET", FIRST_READ, challenge('Bearer realm="http://auth.example/token"'))],
        {},
        ("http://auth.example/token",),
    ),
    (
        "token-endpoint-html",
        [("GET", FIRST_READ, challenge(OWN_REALM)), ("GET", r"^/token", fixed(html()))],
        {},
        ("something other than a JSON object", "the token request"),
    ),
    (
        "token-endpoint-no-token",
        [("GET", FIRST_READ, challenge(OWN_REALM)), ("GET", r"^/token", fixed(as_json({"expires_in": 300})))],
        {},
        ("gave no token",),
    ),
    (
        "token-endpoint-list",
        [("GET", FIRST_READ, challenge(OWN_REALM)), ("GET", r"^/token", fixed(as_json([])))],
        {},
        ("something other than a JSON object",),
    ),
    (
        "manifest-redirected-to-file",
        [("GET", FIRST_READ, fixed(redirect("file:///etc/shadow")))],
        {},
        ("file:///etc/shadow", "refused"),
    ),
    (
        "manifest-redirect-loop",
        [
            ("GET", FIRST_READ, fixed(redirect("/v2/x/manifests/loop"))),
            ("GET", r"/manifests/loop$", lambda url: redirect(f"{url}/v2/x/manifests/v1")),
        ],
        {},
        ("redirects in a loop",),
    ),
    (
        "manifest-too-big",
        [("GET", FIRST_READ, fixed(answer(200, b"", {"Content-Length": str(64 << 20), "Content-Type": OCI})))],
        {},
        ("sent more than",),
    ),
    # class 5: a manifest dribbled a byte at a time ends at the deadline
    (
        "manifest-dribbles",
        [("GET", FIRST_READ, fixed(dribble(4096, 0.5, {"Content-Type": OCI})))],
        {"WASHACTIONS_HTTP_DEADLINE": "2"},
        ("did not answer within 2 s",),
    ),
]


# where the lie shows only after tags were written (with the pushed bytes): which tags may exist
ALREADY_WRITTEN = {"tag-read-back-lies": {"v1", "latest", "edge"}, "put-answers-another-digest": {"v1", "edge"}}


@pytest.mark.parametrize(("case", "rules", "env", "fragments"), PUBLISH_CASES, ids=[c[0] for c in PUBLISH_CASES])
def test_publish_against_a_hostile_registry(
    case, rules, env, fragments, registry, hostile_of, built_python, monkeypatch, capfd, tmp_path
):
    lying = hostile_of(registry.url)
    for method, path, factory in rules:
        lying.on(method, path, factory(lying.url))
    repository = f"hostile/{case}"
    inputs = {
        "component-path": str(built_python),
        "registry": lying.host,
        "repository": repository,
        "tags": "v1,latest,edge",
        "insecure": "true",
    }
    run = run_command(
        "publish",
        inputs,
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=tmp_path / "runner",
        env={"ACTIONS_ID_TOKEN_REQUEST_URL": "", **env},
    )
    line = assert_one_clear_error(run, *fragments)
    assert lying.host in line  # the server is named
    written = set(registry.tags(repository))
    assert written <= ALREADY_WRITTEN.get(case, set())  # nothing tagged before the lie showed
    pushed = {registry.manifest(repository, tag).headers["Docker-Content-Digest"] for tag in written}
    assert len(pushed) <= 1 and FOREIGN_DIGEST not in pushed  # nothing foreign was copied onto a tag
    assert "digest" not in run.outputs


# -- class 5: a wash child process that never ends ---------------------------------------------------------


def test_a_hung_build_is_stopped_at_its_deadline(wash_binary, monkeypatch, capfd, tmp_path):
    project = tmp_path / "hangs"
    (project / ".wash").mkdir(parents=True)
    marker = tmp_path / "still-running"
    (project / ".wash" / "config.yaml").write_text(
        f"build:\n  command: sh -c 'sleep 30; touch {marker}'\n  component_path: out.wasm\n"
    )
    env = {"WASHACTIONS_WASH_TIMEOUT": "3", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with time_limit(20, "a build whose wash hangs, with a 3 s deadline"):
        run = run_command(
            "build",
            {"wash-path": str(wash_binary), "working-directory": "hangs", "skip-fetch": "true"},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            workspace=tmp_path,
            env=env,
        )
    assert_one_clear_error(run, "did not finish within 3 s", "WASHACTIONS_WASH_TIMEOUT")
    time.sleep(0.5)
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert f"touch {marker}" not in out  # the build's own children were killed with wash
    assert "component-path" not in run.outputs


def test_there_are_at_least_twenty_hostile_cases():
    assert len(SETUP_CASES) + len(VERIFY_CASES) + len(PUBLISH_CASES) + 4 >= 20
