"""wash's releases as records, and the names and URLs of their assets: a release with its assets, the platforms
wash ships for, the target triple and asset name of each, where an asset is downloaded from. Pure values: the
Releases API (:mod:`wash_releases`) and the download (:mod:`install`) build on them."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ActionError
from ..versions import Version
from .known import UPSTREAM

BUNDLE_ASSET = "wash.sigstore.json"  # the release's Sigstore bundle, from wash 2.1.0


class Asset(NamedTuple):
    name: str
    url: str
    size: int = 0
    digest: str = ""  # "sha256:<hex>" when the API reports it


class Release(NamedTuple):
    tag: str
    version: Version
    prerelease: bool
    assets: dict[str, Asset]


class Platform(NamedTuple):
    os: str  # linux | macos | windows
    machine: str  # x86_64 | aarch64
    musl: bool = False

    @property
    def arch(self) -> str:
        """The tool cache's architecture name, as @actions/tool-cache writes it."""
        return {"x86_64": "x64", "aarch64": "arm64"}[self.machine]

    @property
    def exe(self) -> str:
        return "wash.exe" if self.os == "windows" else "wash"


SUPPORTED = (
    "linux x86_64",
    "linux aarch64",
    "macos x86_64",
    "macos aarch64",
    "windows x86_64",
)


def target_triple(plat: Platform, version: Version) -> str:
    """The Rust target triple of the wash binary for this platform and version (musl before 2.0.5)."""
    if plat.os == "macos":
        return f"{plat.machine}-apple-darwin"
    if plat.os == "windows":
        return f"{plat.machine}-pc-windows-msvc"
    libc = "musl" if plat.musl or version.core < (2, 0, 5) else "gnu"
    return f"{plat.machine}-unknown-linux-{libc}"


def asset_names(plat: Platform, version: Version) -> list[str]:
    """The raw binary's asset names for this platform, preferred first."""
    name = f"wash-{target_triple(plat, version)}"
    return [name + ".exe", name] if plat.os == "windows" else [name]


def asset_name(plat: Platform, version: Version) -> str:
    """The release asset to download for this platform and version (the first of :func:`asset_names`)."""
    return asset_names(plat, version)[0]


def download_url(base: str, tag: str, asset: str) -> str:
    """GitHub's release download layout, also what a mirror given as download-base-url serves."""
    return f"{base.rstrip('/')}/{UPSTREAM}/releases/download/{tag}/{asset}"


def not_found(version: Version, asset: str) -> ActionError:
    """The error for a release (or platform asset) that does not exist."""
    return ActionError(
        what=f"wash {version} has no release asset {asset}",
        why=f"{UPSTREAM} has no release of wash {version}, or that release has no binary for this platform "
        "(the download answered 404).",
        fix="Use a released version (see https://github.com/wasmCloud/wasmCloud/releases), e.g.\n"
        "with:\n  wash-version: 2.10.3",
        docs="#setup-wash",
    )
