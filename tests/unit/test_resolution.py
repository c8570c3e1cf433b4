"""resolution: which wash binary a request resolves to, from plain values (the manifest of known releases,
release records, the platform, the mirror and the checksum pin). More of its cases, with the setup-wash command
around them, are in test_setup_wash_unit.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.toolchain import assets, known, resolution
from wash_actions.toolchain.resolution import Resolved
from wash_actions.versions import Version, parse_version

LINUX_X64 = assets.Platform("linux", "x86_64")
GNU = "wash-x86_64-unknown-linux-gnu"
LISTED = "11" * 32
API = "22" * 32


def V(text: str) -> Version:
    version = parse_version(text)
    assert version is not None, text
    return version


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A manifest of known releases listing wash 2.10.3's linux binary (the shipped one may list nothing)."""
    path = tmp_path / "wash-releases.json"
    signer = "https://github.com/wasmCloud/wasmCloud/.github/workflows/x.yml@refs/heads/main"
    asset = known.KnownAsset(LISTED, signer, "")
    path.write_text(known.dumps({"2.10.3": known.KnownRelease(V("2.10.3"), "v2.10.3", "", {GNU: asset})}, "test"))
    monkeypatch.setattr(known, "MANIFEST", path)
    return path


def test_resolved_round_trips_through_the_step_output() -> None:
    resolved = Resolved(V("2.10.3"), "v2.10.3", GNU, "https://m.example/a", "ab" * 32, "https://m.example/b")
    assert Resolved.from_json(resolved.as_json()) == resolved


def test_a_listed_version_needs_no_api(listed: Path) -> None:
    got = resolution.from_manifest(V("2.10.3"), LINUX_X64, download_base_url="", checksum="")
    assert got == Resolved(
        V("2.10.3"),
        "v2.10.3",
        GNU,
        f"https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/{GNU}",
        LISTED,
        "",
    )
    mirrored = resolution.from_manifest(V("2.10.3"), LINUX_X64, download_base_url="http://m.test/", checksum=LISTED)
    assert mirrored is not None
    assert mirrored.url == f"http://m.test/wasmCloud/wasmCloud/releases/download/v2.10.3/{GNU}"


def test_an_unlisted_version_or_platform_is_not_in_the_manifest(listed: Path) -> None:
    assert resolution.from_manifest(V("2.10.4"), LINUX_X64, download_base_url="", checksum="") is None
    mac = assets.Platform("macos", "aarch64")
    assert resolution.from_manifest(V("2.10.3"), mac, download_base_url="", checksum="") is None


def test_a_pin_that_disagrees_with_the_manifest_is_one_clear_error(listed: Path) -> None:
    with pytest.raises(ActionError) as caught:
        resolution.from_manifest(V("2.10.3"), LINUX_X64, download_base_url="", checksum=API)
    assert caught.value.what == f"checksum pins another binary than wash 2.10.3's {GNU}"
    assert caught.value.fix.endswith(f"with:\n  checksum: {LISTED}")


def test_a_listed_digest_wins_over_the_api_and_a_pin_over_both(listed: Path) -> None:
    asset = assets.Asset(GNU, f"https://github.com/dl/{GNU}", digest=f"sha256:{API}")
    release = assets.Release("v2.10.3", V("2.10.3"), False, {GNU: asset})
    got = resolution.from_release(release, LINUX_X64, download_base_url="", checksum="")
    assert got is not None and got.sha256 == LISTED
    pinned = resolution.from_release(release, LINUX_X64, download_base_url="", checksum="33" * 32)
    assert pinned is not None and pinned.sha256 == "33" * 32
