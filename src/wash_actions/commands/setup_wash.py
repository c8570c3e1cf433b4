"""setup-wash: install wash into the tool cache and put it on PATH."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import gha, install
from ..errors import ActionError

DEFAULT_VERSION = "2.10.3"
DEFAULT_DOWNLOAD_BASE = "https://github.com"


@dataclass(frozen=True)
class SetupInputs:
    wash_version: str
    download_base_url: str
    tool_cache: Path

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> SetupInputs:
        base = inputs.get("download-base-url", DEFAULT_DOWNLOAD_BASE)
        if not base.startswith(("https://", "http://")):
            raise ActionError(
                what=f"download-base-url {base!r} is not an http(s) URL",
                why="It is the server the release assets are downloaded from.",
                fix="Leave it unset to download from GitHub, or give a URL:\n"
                "with:\n  download-base-url: https://github.example.com",
                docs="#setup-wash",
            )
        tool_cache = gha.env("RUNNER_TOOL_CACHE")
        return cls(
            wash_version=inputs.get("wash-version", DEFAULT_VERSION),
            download_base_url=base,
            tool_cache=Path(tool_cache) if tool_cache else gha.temp_dir() / "tool-cache",
        )


def reported_version(binary: Path) -> str:
    """What ``wash --version`` says, e.g. ``2.10.3``."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except OSError:
        return ""
    return out.strip().split()[-1].lstrip("v") if out.strip() else ""


def run(inputs: SetupInputs) -> dict[str, str]:
    version = install.parse_exact(inputs.wash_version)
    plat = install.host_platform()
    entry = install.cache_entry(inputs.tool_cache, version, plat)
    binary = entry.directory / plat.exe
    cache_hit = entry.complete and binary.is_file()
    if cache_hit:
        gha.info(f"wash {version} found in the tool cache: {binary}")
    else:
        asset = install.asset_name(plat, version)
        url = install.download_url(inputs.download_base_url, version, asset)
        gha.info(f"Downloading wash {version} ({asset}) from {url}")
        try:
            binary = install.install_into_cache(entry, url, plat)
        except install.NotFound:
            raise install.not_found(version, asset) from None
        reported = reported_version(binary)
        if reported != str(version):
            shutil.rmtree(entry.directory, ignore_errors=True)
            entry.marker.unlink(missing_ok=True)
            raise ActionError(
                what=f"The downloaded wash reports version {reported or 'nothing'}, not {version}",
                why=f"{url} did not serve the wash {version} binary for this platform.",
                fix="Check 'download-base-url'; leave it unset to download from GitHub.",
                docs="#setup-wash",
            )
    gha.add_path(entry.directory)
    outputs = {
        "wash-version": str(version),
        "wash-path": str(binary),
        "cache-hit": str(cache_hit).lower(),
    }
    gha.summary(
        "### wash\n\n| version | path | tool cache |\n|---|---|---|\n"
        f"| {version} | `{binary}` | {'hit' if cache_hit else 'installed'} |\n"
    )
    return outputs
