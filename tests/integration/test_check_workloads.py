"""check with manifests: wasmCloud's own samples, their images replaced by components built here and pushed by the
real wash to a real registry, checked as the API server admits them and the host binds them.

Each sample passes as it is; with one change (a hostInterface removed, one the host lacks, a duplicate unnamed
entry, a sibling removed, allowedHosts dropped) it gives exactly the expected error or warning, at its line.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers import assert_one_clear_error, rendered, run_command
from tests.stacks import workload_components as built
from wash_actions.component import world as component

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_IMAGES = {  # the image each sample names -> the component built here with its world
    "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0": "hello",
    "ghcr.io/wasmcloud/components/hello-world:0.1.0": "hello",
    "ghcr.io/wasmcloud/components/blobby-rust:0.5.1": "blobby",
    "ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0": "echo",
}
HELLO_TRAP = "component hello-world imports wasi:http/outgoing-handler but its localResources.allowedHosts is missing"


@pytest.fixture(scope="session")
def components(tmp_path_factory, componentize_py_examples, greeter) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("workload-components")
    return {
        "hello": built.hello(componentize_py_examples),
        "blobby": built.blobby(work, componentize_py_examples),
        "echo": built.echo(work),
        "consumer": greeter["consumer"],
        "provider": greeter["provider"],
    }


@pytest.fixture(scope="session")
def pushed(registry, wash_binary, components) -> dict[str, str]:
    """name -> ``host/samples/name:0.1.0``, pushed by wash; ``name@digest`` under ``name+digest``."""
    refs = {}
    for name, path in components.items():
        digest = built.push(wash_binary, registry.host, f"samples/{name}", "0.1.0", path)
        refs[name] = f"{registry.host}/samples/{name}:0.1.0"
        refs[f"{name}+digest"] = f"{registry.host}/samples/{name}@{digest}"
    return refs


def sample(name: str, pushed: dict[str, str]) -> str:
    """A sample manifest with its images replaced by the components pushed here."""
    text = (built.SAMPLES / name).read_text()
    for image, name_here in SAMPLE_IMAGES.items():
        text = text.replace(image, pushed[name_here])
    return text


@pytest.fixture
def check(monkeypatch, capfd, tmp_path):
    workspace = tmp_path / "workspace"
    (workspace / "deploy").mkdir(parents=True)

    def run(files: dict[str, str], env: dict[str, str] | None = None, **inputs: str):
        for name, text in files.items():
            (workspace / "deploy" / name).write_text(text)
        return run_command(
            "check",
            {"manifests": "deploy/*.yaml", "insecure": "true", **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            workspace=workspace,
            env={"WASHACTIONS_ROOT": str(ROOT), "DOCKER_CONFIG": str(tmp_path / "docker"), **(env or {})},
        )

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


def warnings(run) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("::warning")]


@pytest.mark.parametrize(
    ("name", "expected_warnings"),
    [
        ("deployment.yaml", [HELLO_TRAP]),
        ("service_deployment.yaml", [HELLO_TRAP]),
        ("http-hello-world.yaml", [HELLO_TRAP]),
        ("blobby.yaml", []),
        ("messaging.yaml", []),
    ],
)
def test_wasmclouds_samples_pass(check, pushed, name, expected_warnings):
    run = check({name: sample(name, pushed)})
    assert run.code == 0, run.stdout
    assert run.outputs["result"] == "passed"
    workloads = json.loads(run.outputs["workloads"])
    assert [w["kind"] for w in workloads] == ["WorkloadDeployment"]
    assert all(c["read"].startswith("config of sha256:") for c in workloads[0]["components"])
    assert all(b["provider"] for b in workloads[0]["bindings"])
    found = warnings(run)
    assert len(found) == len(expected_warnings), found
    for line, text in zip(found, expected_warnings, strict=True):
        assert f"file=deploy/{name}" in line and text in line
    if name.startswith(("service", "http-hello")):
        assert "skipped (not a wasmCloud workload)" in run.stdout  # the Service document
    assert "| component | import | provided by |" in run.summary


def test_blobby_binds_the_whole_blobstore_package(check, pushed):
    run = check({"blobby.yaml": sample("blobby.yaml", pushed)})
    providers = {b["import"]: b["provider"] for b in json.loads(run.outputs["workloads"])[0]["bindings"]}
    assert providers["wasi:blobstore/container@0.2.0-draft"] == "hostInterfaces[1] wasi:blobstore (wasi-blobstore)"
    assert providers["wasi:logging/logging@0.1.0-draft"] == "hostInterfaces[2] wasi:logging (wasi-logging)"
    assert "hostInterfaces[1] wasi:blobstore (wasi-blobstore)" in rendered(run.summary)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_host_interface_removed(check, pushed):
    text = sample("blobby.yaml", pushed)
    text = text.replace(
        "        - namespace: wasi\n          package: logging\n          version: 0.1.0-draft\n"
        "          interfaces:\n            - logging\n",
        "",
    )
    run = check({"blobby.yaml": text})
    line = assert_one_clear_error(run, "imports 1 interface nothing in the workload provides: wasi:logging/logging")
    assert f"deploy/blobby.yaml:{_line(text, '- name: test')}:" in line
    assert "package: logging" in line  # the YAML to add


def test_a_host_interface_the_host_lacks(check, pushed):
    run = check({"messaging.yaml": sample("messaging.yaml", pushed)}, host="none")
    text = sample("messaging.yaml", pushed)
    line = assert_one_clear_error(
        run, "requested interfaces that are not available on this host: wasmcloud:messaging/handler@0.2.0"
    )
    assert f"deploy/messaging.yaml:{_line(text, '- namespace: wasmcloud')}:" in line


def test_a_duplicate_unnamed_entry_is_refused_at_admission(check, pushed):
    text = sample("blobby.yaml", pushed).replace(
        "      components:",
        "        - namespace: wasi\n          package: logging\n          interfaces:\n            - logging\n"
        "      components:",
    )
    run = check({"blobby.yaml": text})
    line = assert_one_clear_error(run, "the API server would refuse this WorkloadDeployment")
    assert "at most one unnamed hostInterface is allowed per namespace:package" in line
    assert f"deploy/blobby.yaml:{_line(text, 'package: logging') - 1}:" in line


def two_components(pushed: dict[str, str], *, provider: bool = True) -> str:
    data = yaml.safe_load(sample("deployment.yaml", pushed))
    spec = data["spec"]["template"]["spec"]
    spec["components"] = [{"name": "consumer", "image": pushed["consumer"]}]
    if provider:
        spec["components"].append({"name": "provider", "image": pushed["provider+digest"]})
    return yaml.safe_dump(data, sort_keys=False)


def test_a_sibling_removed(check, pushed):
    run = check({"app.yaml": two_components(pushed)})
    assert run.code == 0, run.stdout
    bindings = json.loads(run.outputs["workloads"])[0]["bindings"]
    assert {"component": "consumer", "import": "acme:greeter/greet@0.1.0", "provider": "component provider"} in bindings
    run = check({"app.yaml": two_components(pushed, provider=False)})
    assert_one_clear_error(run, "component consumer imports 1 interface nothing in the workload provides: acme:greeter")


def test_allowed_hosts_dropped(check, pushed):
    data = yaml.safe_load(sample("deployment.yaml", pushed))
    data["spec"]["template"]["spec"]["components"][0]["localResources"] = {"allowedHosts": ["api.example.com"]}
    run = check({"deployment.yaml": yaml.safe_dump(data, sort_keys=False)})
    assert run.code == 0 and warnings(run) == []
    data["spec"]["template"]["spec"]["components"][0]["localResources"] = {"allowedHosts": []}
    run = check({"deployment.yaml": yaml.safe_dump(data, sort_keys=False)})
    (line,) = warnings(run)
    assert "allowedHosts is empty" in line and "allowedHosts:%0A" in line.replace("%0A ", "%0A")
    assert run.code == 0


def test_by_tag_by_digest_and_by_artifact(check, pushed):
    data = yaml.safe_load(sample("blobby.yaml", pushed))
    data["spec"]["artifacts"] = [{"name": "blobby", "artifactFrom": {"name": "blobby-release"}}]
    data["spec"]["template"]["spec"]["components"][0]["image"] = "artifact://blobby"
    artifact = {
        "apiVersion": "runtime.wasmcloud.dev/v1alpha1",
        "kind": "Artifact",
        "metadata": {"name": "blobby-release"},
        "spec": {"image": pushed["blobby+digest"]},
    }
    run = check({"blobby.yaml": yaml.safe_dump_all([data, artifact], sort_keys=False)})
    assert run.code == 0, run.stdout
    (described,) = json.loads(run.outputs["workloads"])[0]["components"]
    assert described["image"] == pushed["blobby+digest"]
    assert "artifact://blobby → Artifact blobby-release" in described["read"]
    # the Artifact in another file of manifests, then missing
    run = check({"blobby.yaml": yaml.safe_dump(data, sort_keys=False), "z.yaml": yaml.safe_dump(artifact)})
    assert run.code == 0, run.stdout
    (check.workspace / "deploy" / "z.yaml").unlink()
    run = check({"blobby.yaml": yaml.safe_dump(data, sort_keys=False)})
    assert_one_clear_error(run, "comes from the Artifact 'blobby-release', which no manifest defines")


def test_the_component_under_check_stands_in_for_its_manifest_entry(check, pushed, components):
    local = check.workspace / "build" / "blobby.wasm"
    local.parent.mkdir()
    shutil.copy(components["blobby"], local)
    text = sample("blobby.yaml", pushed).replace(pushed["blobby"], "ghcr.io/acme/not-yet-published:1.0")
    run = check({"blobby.yaml": text}, **{"component-path": "build/blobby.wasm", "manifest-component": "test"})
    assert run.code == 0, run.stdout
    (described,) = json.loads(run.outputs["workloads"])[0]["components"]
    assert described["read"] == "component-path build/blobby.wasm"
    assert json.loads(run.outputs["unresolved"]) == []
    run = check({"blobby.yaml": text}, **{"component-path": "build/blobby.wasm", "manifest-component": "nope"})
    assert_one_clear_error(run, "no workload in manifests has a component named 'nope'")


def test_a_private_registry_with_the_runners_docker_login(check, auth_registry, components, tmp_path):
    world = component.parse(components["echo"].read_bytes())
    config = {"component": {"imports": world.import_names, "exports": world.export_names}}
    push_with_layout(
        auth_registry, "private/echo", "1", components["echo"], wasm_config=True, config=json.dumps(config).encode()
    )
    text = (
        (built.SAMPLES / "messaging.yaml")
        .read_text()
        .replace("ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0", f"{auth_registry.host}/private/echo:1")
    )
    run = check({"messaging.yaml": text})
    line = assert_one_clear_error(run, "cannot be read")
    assert "docker/login-action" in line
    docker = tmp_path / "docker"
    docker.mkdir(exist_ok=True)
    token = base64.b64encode(f"{auth_registry.username}:{auth_registry.password}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {auth_registry.host: {"auth": token}}}))
    run = check({"messaging.yaml": text})
    assert run.code == 0, run.stdout
    assert auth_registry.password not in run.stdout + run.summary + run.outputs["workloads"]


def push_with_layout(registry, repository: str, tag: str, wasm: Path, *, wasm_config: bool, config: bytes = b"") -> str:
    """Push as another tool would: an OCI image manifest whose config is not wash's (or ``config`` as given)."""
    import requests

    body = wasm.read_bytes()
    if not config:
        config = b"{}" if not wasm_config else json.dumps({"component": {"imports": [], "exports": []}}).encode()
    media = "application/vnd.wasm.config.v0+json" if wasm_config else "application/vnd.oci.empty.v1+json"

    def upload(data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(f"{registry.url}/v2/{repository}/blobs/uploads/", auth=registry.auth(), timeout=30)
        location = start.headers["Location"]
        location = location if location.startswith("http") else registry.url + location
        sep = "&" if "?" in location else "?"
        done = requests.put(f"{location}{sep}digest={digest}", data=data, auth=registry.auth(), timeout=120)
        assert done.status_code == 201, done.text
        return digest

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/wasm",
        "config": {"mediaType": media, "digest": upload(config), "size": len(config)},
        "layers": [{"mediaType": "application/wasm", "digest": upload(body), "size": len(body)}],
    }
    raw = json.dumps(manifest).encode()
    put = requests.put(
        f"{registry.url}/v2/{repository}/manifests/{tag}",
        data=raw,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        auth=registry.auth(),
        timeout=30,
    )
    assert put.status_code == 201, put.text
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def test_an_image_whose_config_lacks_component_is_read_from_its_layer(check, registry, components, pushed):
    push_with_layout(registry, "other-tool/echo", "1", components["echo"], wasm_config=False)
    text = (
        (built.SAMPLES / "messaging.yaml")
        .read_text()
        .replace("ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0", f"{registry.host}/other-tool/echo:1")
    )
    run = check({"messaging.yaml": text})
    assert run.code == 0, run.stdout
    (described,) = json.loads(run.outputs["workloads"])[0]["components"]
    assert described["read"].startswith("layer of sha256:")


def test_a_config_that_lies_is_refused_and_injects_nothing(check, registry, components):
    lie = json.dumps({"component": {"imports": ["x\n::error::injected"], "exports": ["<img src=x>"]}}).encode()
    push_with_layout(registry, "liar/echo", "1", components["echo"], wasm_config=True, config=lie)
    text = (
        (built.SAMPLES / "messaging.yaml")
        .read_text()
        .replace("ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0", f"{registry.host}/liar/echo:1")
    )
    run = check({"messaging.yaml": text})
    assert_one_clear_error(run, "names an import that is not a component-model name")
    assert not any(line.startswith("::error::injected") for line in run.stdout.splitlines())
    assert "<img" not in run.summary


def test_a_config_that_describes_another_layer_is_refused(check, registry, components):
    world = component.parse(components["echo"].read_bytes())
    lie = {
        "component": {"imports": [], "exports": world.export_names},  # "imports nothing": passes any host
        "layerDigests": ["sha256:" + hashlib.sha256(components["blobby"].read_bytes()).hexdigest()],
    }
    push_with_layout(
        registry, "liar/copied", "1", components["echo"], wasm_config=True, config=json.dumps(lie).encode()
    )
    text = (
        (built.SAMPLES / "messaging.yaml")
        .read_text()
        .replace("ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0", f"{registry.host}/liar/copied:1")
    )
    assert_one_clear_error(check({"messaging.yaml": text}), "describes another component than its layer")


class _Hostile(http.server.BaseHTTPRequestHandler):
    """A registry that states a small layer and streams 2 GB, or states 2 GB."""

    stated = 1000

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/v2/":
            self.send_response(200)
            self.end_headers()
            return
        if "/manifests/" in self.path:
            body = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.empty.v1+json",
                        "digest": "sha256:" + "4" * 64,
                        "size": 2,
                    },
                    "layers": [{"mediaType": "application/wasm", "digest": "sha256:" + "5" * 64, "size": self.stated}],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(2 << 30))
        self.end_headers()
        chunk = b"\0" * (1 << 20)
        try:
            for _ in range(2048):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def hostile_registry() -> Iterator[tuple[str, type[_Hostile]]]:
    handler = type("Handler", (_Hostile,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("stated", "message"), [(1000, "more than 1000 bytes"), (2 << 30, "more than check reads")])
def test_a_registry_that_serves_two_gigabytes(check, hostile_registry, stated, message):
    host, handler = hostile_registry
    handler.stated = stated
    text = (
        (built.SAMPLES / "messaging.yaml")
        .read_text()
        .replace("ghcr.io/wasmcloud/components/messaging-echo-rust:0.1.0", f"{host}/big/echo:1")
    )
    run = check({"messaging.yaml": text})
    assert_one_clear_error(run, message)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("ghcr.io/acme/x:1\n::error::injected", "is not an image reference"),
        ("ghcr.io/acme::x:1", "is not an image reference"),
        ("ghcr.io/acme/x:1 ; rm -rf /", "is not an image reference"),
    ],
)
def test_hostile_image_references(check, image, message):
    data = yaml.safe_load((built.SAMPLES / "messaging.yaml").read_text())
    data["spec"]["template"]["spec"]["components"][0]["image"] = image
    run = check({"messaging.yaml": yaml.safe_dump(data)})
    assert_one_clear_error(run, message)
    assert not any(line.startswith("::error::injected") for line in run.stdout.splitlines())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: !!python/object/apply:os.system ['touch /tmp/pwned-by-check']\n",
            "uses a YAML tag check does not construct",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)),
            "aliases expanded",
        ),
        ("kind: A\n---\n" * 10_000, "more than 1,000 documents"),
        ("kind: Service\napiVersion: v1\n", "no Workload, WorkloadReplicaSet or WorkloadDeployment"),
    ],
)
def test_hostile_manifests(check, text, message):
    run = check({"hostile.yaml": text})
    assert_one_clear_error(run, message)
    assert not Path("/tmp/pwned-by-check").exists()


def test_manifest_globs_stay_in_the_workspace(check, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("kind: Workload\n")
    (check.workspace / "deploy" / "link.yaml").symlink_to(outside / "secret.yaml")
    (check.workspace / "deploy" / "loop").symlink_to(check.workspace / "deploy")
    run = check({}, manifests="deploy/**/*.yaml")
    line = assert_one_clear_error(run, "deploy/link.yaml is outside the workspace")
    assert "symbolic link" in line
    (check.workspace / "deploy" / "link.yaml").unlink()
    run = check({}, manifests="deploy/**/*.yaml")
    assert_one_clear_error(run, "matches no file")
    assert re.search(
        r"manifests: '\.\./x\.yaml' is outside", assert_one_clear_error(check({}, manifests="../x.yaml"), "")
    )
