"""publish's input checks: registry host, repository name, loopback detection, component file."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.commands import publish
from wash_actions.errors import ActionError
from wash_actions.oci import names
from wash_actions.trust.attest_decision import attest_mode

COMPONENT = b"\0asm\x0d\x00\x01\x00"
CORE = b"\0asm\x01\x00\x00\x00"


@pytest.mark.parametrize(
    "content",
    [COMPONENT, COMPONENT + b"\x00\x61\x73\x6d" * 64],
    ids=["preamble-only", "preamble-and-sections"],
)
def test_check_component_accepts_components(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hello.wasm"
    path.write_bytes(content)
    publish.check_component(path)  # no error


@pytest.mark.parametrize(
    ("setup", "what"),
    [
        (lambda p: p.write_bytes(CORE + b"\x01\x04\x01\x60\x00\x00"), "is a core WebAssembly module, not a component"),
        (lambda p: p.write_text("hello, I am a text file\n"), "is not a WebAssembly component"),
        (lambda p: p.write_bytes(b""), "is not a WebAssembly component"),
        (lambda p: p.write_bytes(b"\0asm"), "is not a WebAssembly component"),
        (lambda p: p.write_bytes(b"\0asm\x0e\x00\x01\x00"), "is not a WebAssembly component"),
        (lambda p: p.write_text("(component)\n"), "is not a WebAssembly component"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "does not exist"),
    ],
    ids=["core-module", "text", "empty", "short", "unknown-version", "wat-text", "directory", "missing"],
)
def test_check_component_rejects(tmp_path: Path, setup, what: str) -> None:
    path = tmp_path / "hello.wasm"
    setup(path)
    with pytest.raises(ActionError) as caught:
        publish.check_component(path)
    assert what in caught.value.what
    assert caught.value.docs == "#publish"


def test_check_component_core_module_says_how_to_componentize(tmp_path: Path) -> None:
    path = tmp_path / "core.wasm"
    path.write_bytes(CORE)
    with pytest.raises(ActionError) as caught:
        publish.check_component(path)
    assert "core" in caught.value.what
    assert "wasm-tools component new" in caught.value.fix


@pytest.mark.parametrize(
    "value", ["user@ghcr.io", "user:s3cret-pw@ghcr.io", "https://user:s3cret-pw@ghcr.io", "u:s3cret-pw@ghcr.io/x"]
)
def test_check_registry_refuses_credentials_without_echoing_them(value: str) -> None:
    with pytest.raises(ActionError) as caught:
        names.check_registry(value)
    error = caught.value
    assert "must not carry credentials" in error.what
    assert "registry: ghcr.io" in error.fix
    assert "s3cret-pw" not in error.what + error.why + error.fix + error.markdown()


@pytest.mark.parametrize(
    ("attest", "alias", "mode"),
    [
        ("", "", "auto"),
        ("", "false", "false"),  # wasmCloud/actions' attestation: false wins over attest's default
        ("", "true", "true"),
        ("", "FALSE", "false"),
        ("false", "", "false"),
        ("auto", "", "auto"),
        ("true", "true", "true"),
        (" True ", "true", "true"),
    ],
)
def test_attest_mode(attest: str, alias: str, mode: str) -> None:
    assert attest_mode(attest, alias) == mode


@pytest.mark.parametrize(
    ("attest", "alias", "message"),
    [
        ("true", "false", "Inputs 'attest' (true) and 'attestation' (false) disagree"),
        ("yes", "", "Input 'attest' must be true, false or auto, not 'yes'"),
        ("", "maybe", "Input 'attestation' must be true, false or auto, not 'maybe'"),
    ],
)
def test_attest_mode_refuses(attest: str, alias: str, message: str) -> None:
    with pytest.raises(ActionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        attest_mode(attest, alias)


@pytest.mark.parametrize("action", ["action.yml", "actions/publish/action.yml"])
def test_attest_has_no_default_that_would_hide_its_alias(action: str) -> None:
    import yaml

    inputs = yaml.safe_load((Path(__file__).parents[2] / action).read_text())["inputs"]
    assert inputs["attest"].get("default", "") == ""
    assert inputs["attestation"].get("default", "") == ""


@pytest.mark.parametrize(
    ("mode", "push", "enabled", "refused"),
    [
        ("true", True, False, True),  # asked for an SBOM attestation, and nothing will be attested
        ("true", True, True, False),
        ("true", False, False, False),  # a dry run attests nothing anyway
        ("auto", True, False, False),
        ("false", True, False, False),
    ],
)
def test_sbom_true_refuses_a_publish_that_cannot_attest(mode: str, push: bool, enabled: bool, refused: bool) -> None:
    from wash_actions.trust import attest_decision, sbom_inputs

    options = sbom_inputs.SbomOptions(mode, "", ())
    decision = attest_decision.Decision(enabled, "" if enabled else "Attestation skipped: the job has no OIDC token.")
    if not refused:
        publish.check_sbom_mode(options, decision, push=push)
        return
    with pytest.raises(ActionError) as caught:
        publish.check_sbom_mode(options, decision, push=push)
    assert "sbom: true" in caught.value.what
    assert "no OIDC token" in caught.value.why
    assert "sbom: auto" in caught.value.fix and caught.value.docs == "#sbom"


def test_sbom_path_stays_in_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "sbom.json").write_text("{}")
    assert publish.check_sbom_location("sbom.json", tmp_path) == (tmp_path / "sbom.json").resolve()
    assert publish.check_sbom_location("/elsewhere/sbom.json", tmp_path) == Path("/elsewhere/sbom.json")
    with pytest.raises(ActionError) as caught:
        publish.check_sbom_location("../sbom.json", tmp_path)
    assert "outside the workspace" in caught.value.what


def _inputs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, oidc: bool = False, **given: str) -> publish.Publish:
    from wash_actions.runner import gha

    for key in ("ACTIONS_ID_TOKEN_REQUEST_URL", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME"):
        monkeypatch.delenv(key, raising=False)
    if oidc:  # the job has permissions: id-token: write, so attest: auto attests
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://token.actions.githubusercontent.com/oidc")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/hello")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("WASHACTIONS_GITHUB_ACTOR", "octocat")
    env = {"WASHACTIONS_INPUT_COMPONENT_PATH": "c.wasm", "WASHACTIONS_INPUT_REGISTRY": "registry.example.com"}
    env["WASHACTIONS_INPUT_TAGS"] = "v1"
    env |= {"WASHACTIONS_INPUT_" + k.upper().replace("-", "_"): v for k, v in given.items()}
    return publish.Publish.from_env(gha.Inputs(env))


@pytest.mark.parametrize(
    ("given", "credentials"),
    [
        ({"token": "t0ken"}, ("octocat", "t0ken")),  # wasmCloud/actions: docker/login-action as github.actor
        ({"token": "t0ken", "username": "robot"}, ("robot", "t0ken")),
        ({"password": "pw", "username": "robot", "token": "t0ken"}, ("robot", "pw")),
        ({}, None),
    ],
)
def test_token_is_the_registry_password(monkeypatch, tmp_path, given: dict[str, str], credentials) -> None:
    parsed = _inputs(monkeypatch, tmp_path, **given).inputs
    got = (parsed.credentials.username, parsed.credentials.password) if parsed.credentials else None
    assert got == credentials


@pytest.mark.parametrize(
    ("given", "oidc", "sbom_on", "notices"),
    [
        ({}, True, True, 0),
        ({}, False, False, 0),  # auto: an SBOM whenever the provenance is attested, and nothing is
        ({"sbom": "false"}, True, False, 0),
        ({"cyclonedx-version": "0.29.1"}, True, True, 1),
        ({"sbom-path": "bom.json"}, True, True, 0),
        ({"sbom": "true", "push": "false"}, False, True, 0),  # a dry run may still write one
    ],
)
def test_sbom_inputs(monkeypatch, tmp_path, given: dict[str, str], oidc: bool, sbom_on: bool, notices: int) -> None:
    parsed = _inputs(monkeypatch, tmp_path, oidc, **given)
    assert parsed.inputs.sbom is sbom_on
    assert len(parsed.notes.sbom_notices) == notices
    assert parsed.inputs.sbom_path == ((tmp_path / "bom.json").resolve() if "sbom-path" in given else None)


# wash 2.10.3's message when docker-registry refused a manifest whose blob a concurrent push of the same file
# had replaced (seen in test_faults.py's two concurrent publishes), and messages that must not be retried
