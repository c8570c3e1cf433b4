"""The manifest of known wash releases: parsing, lookup, the stable text the updater writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.toolchain import known
from wash_actions.versions import parse_version

SHA_A = "a" * 64
SHA_B = "b" * 64
SIGNER = "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main"


def manifest(releases: dict[str, object], **top: object) -> str:
    return json.dumps({"schema": 1, "upstream": "wasmCloud/wasmCloud", "about": "", "releases": releases, **top})


def entry(tag: str, **assets: str) -> dict[str, object]:
    return {
        "tag": tag,
        "verified_at": "2026-11-30T00:00:00Z",
        "assets": {
            name: {"sha256": sha, "signer": SIGNER, "source": "release asset wash.sigstore.json"}
            for name, sha in assets.items()
        },
    }


def V(text: str):
    version = parse_version(text)
    assert version is not None
    return version


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    path = tmp_path / "wash-releases.json"
    path.write_text(
        manifest(
            {
                "2.10.3": {
                    "tag": "v2.10.3",
                    "verified_at": "2026-11-30T00:00:00Z",
                    "assets": {
                        "wash-x86_64-unknown-linux-gnu": {"sha256": SHA_A, "signer": SIGNER, "source": "x"},
                        "wash-x86_64-pc-windows-msvc.exe": {"sha256": SHA_B, "signer": SIGNER, "source": "x"},
                    },
                }
            }
        )
    )
    return path


def test_the_committed_manifest_parses() -> None:
    releases = known.load()
    for key, release in releases.items():
        assert str(release.version) == key
        assert release.tag and release.verified_at and release.assets
        for asset in release.assets.values():
            assert asset.signer.startswith("https://github.com/wasmCloud/wasmCloud/.github/workflows/")


@pytest.mark.parametrize(
    ("version", "assets", "expected"),
    [
        ("2.10.3", ["wash-x86_64-unknown-linux-gnu"], ("wash-x86_64-unknown-linux-gnu", SHA_A)),
        # Windows: the preferred name first, then the bare one
        (
            "2.10.3",
            ["wash-x86_64-pc-windows-msvc.exe", "wash-x86_64-pc-windows-msvc"],
            ("wash-x86_64-pc-windows-msvc.exe", SHA_B),
        ),
        ("2.10.3", ["wash-aarch64-apple-darwin"], None),  # listed release, platform not listed
        ("2.10.2", ["wash-x86_64-unknown-linux-gnu"], None),  # release not listed
    ],
)
def test_lookup(listed: Path, version: str, assets: list[str], expected: tuple[str, str] | None) -> None:
    hit = known.lookup(V(version), assets, listed)
    assert (None if hit is None else (hit.asset, hit.sha256)) == expected
    assert known.known_sha256(V(version), assets[0], listed) == (
        expected[1] if expected and expected[0] == assets[0] else None
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{", "is not JSON"),
        (json.dumps({"schema": 2, "upstream": "wasmCloud/wasmCloud", "releases": {}}), "schema 1"),
        (json.dumps({"schema": 1, "upstream": "wasmCloud/wasmCloud"}), "'releases'"),
        (manifest({}, upstream="mallory/wasmCloud"), "mallory/wasmCloud"),
        (manifest({"v2.10.3": entry("v2.10.3", w=SHA_A)}), "keyed by its version"),
        (manifest({"2.10.3": entry("v2.10.3", w="A" * 64)}), "not a lowercase sha256"),
        (manifest({"2.10.3": entry("v2.10.3", w="ab")}), "not a lowercase sha256"),
    ],
)
def test_a_broken_manifest_is_one_clear_error(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "wash-releases.json"
    path.write_text(text)
    with pytest.raises(ActionError) as caught:
        known.lookup(V("2.10.3"), ["w"], path)
    assert "unreadable" in caught.value.what
    assert why in caught.value.why


def test_a_missing_manifest_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ActionError, match="unreadable"):
        known.load(tmp_path / "absent.json")


def test_dumps_is_stable_and_round_trips(listed: Path) -> None:
    releases = known.load(listed)
    older = known.parse(manifest({"2.9.0": entry("v2.9.0", w=SHA_B)}))
    text = known.dumps({**releases, **older}, "about")
    assert list(json.loads(text)["releases"]) == ["2.9.0", "2.10.3"]  # by version, not as text
    assert known.parse(text) == {**releases, **older}
    assert known.dumps(known.parse(text), "about") == text
    assert text.endswith("}\n")


def test_the_runtime_fingerprint_changes_with_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A self-hosted runner keeps its venv (and the package copy in it) until the fingerprint changes."""
    import importlib.util
    import shutil

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("_bootstrap_under_test", root / "scripts" / "bootstrap.py")
    assert spec and spec.loader
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    package = tmp_path / "wash_actions"
    shutil.copytree(root / "src" / "wash_actions", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(bootstrap, "PACKAGE", package)
    lock = bootstrap.LOCKS["runtime"]
    before = bootstrap.fingerprint(lock)
    manifest = package / "data" / "wash-releases.json"
    manifest.write_text(manifest.read_text().replace('"releases": {}', '"releases": {"2.10.3": {}}'))
    assert manifest.read_text() != (root / "src" / "wash_actions" / "data" / "wash-releases.json").read_text()
    assert bootstrap.fingerprint(lock) != before
