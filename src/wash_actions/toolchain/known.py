"""Known wash releases: binaries already verified against wasmCloud's provenance, listed by sha256.

The manifest ``data/wash-releases.json`` ships inside the package, so a user who pins the action by SHA
pins it too. It is written only by ``python -m wash_actions update-manifest`` (this project's scheduled
workflow), which adds a release after verifying every platform binary against wasmCloud's Sigstore
provenance with the full policy. setup-wash then verifies a listed binary by its sha256 alone: no
sigstore, no Sigstore or attestations API in the job. Standard library only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..versions import Version, parse_version

MANIFEST = Path(__file__).resolve().parents[1] / "data" / "wash-releases.json"
SCHEMA = 1
UPSTREAM = "wasmCloud/wasmCloud"  # the repository that releases wash and signs its provenance: its one home
_SHA256 = re.compile(r"[0-9a-f]{64}")


class KnownAsset(NamedTuple):
    """One platform binary of a release, and how its digest was established."""

    sha256: str
    signer: str  # the Fulcio certificate's SAN: the wasmCloud workflow that signed the provenance
    source: str  # where the verified bundle came from (release asset, attestations API)


class KnownRelease(NamedTuple):
    version: Version
    tag: str
    verified_at: str  # RFC 3339 UTC, when the updater verified it
    assets: dict[str, KnownAsset]


class Known(NamedTuple):
    """A verified binary, as setup-wash uses it."""

    release: KnownRelease
    asset: str
    entry: KnownAsset

    @property
    def sha256(self) -> str:
        return self.entry.sha256


def _broken(path: Path, why: str) -> ActionError:
    return ActionError(
        what=f"The manifest of known wash releases ({path.name}) is unreadable",
        why=why,
        fix="Use the action as published (uses: OWNER/wash-actions/actions/setup-wash@v1); the manifest is part "
        "of it. Pinning an exact wash version without it needs:\nwith:\n  verify: true",
        docs="#trust-model",
    )


def parse(text: str, path: Path = MANIFEST) -> dict[str, KnownRelease]:
    """The manifest's releases by version string; every digest is checked to be a sha256."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _broken(path, f"It is not JSON: {exc}.") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("releases"), dict):
        raise _broken(path, f"It is not a schema {SCHEMA} manifest with a 'releases' object.")
    if data.get("upstream") != UPSTREAM:
        raise _broken(path, f"It lists releases of {data.get('upstream')!r}, not {UPSTREAM}.")
    out: dict[str, KnownRelease] = {}
    for key, raw in data["releases"].items():
        version = parse_version(key)
        if version is None or str(version) != key or not isinstance(raw, dict):
            raise _broken(path, f"{key!r} is not a release entry keyed by its version.")
        assets: dict[str, KnownAsset] = {}
        for name, entry in (raw.get("assets") or {}).items():
            sha = str(entry.get("sha256", "")) if isinstance(entry, dict) else ""
            if not _SHA256.fullmatch(sha):
                raise _broken(path, f"{key} {name}: {sha!r} is not a lowercase sha256.")
            assets[name] = KnownAsset(sha, str(entry.get("signer", "")), str(entry.get("source", "")))
        out[key] = KnownRelease(version, str(raw.get("tag", "")), str(raw.get("verified_at", "")), assets)
    return out


def load(path: Path | None = None) -> dict[str, KnownRelease]:
    """The manifest of known releases shipped with the action (or ``path``), by version."""
    path = path or MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _broken(path, f"It could not be read: {exc.strerror or exc}.") from None
    return parse(text, path)


def lookup(version: Version, assets: list[str], path: Path | None = None) -> Known | None:
    """The first of ``assets`` (this platform's names, preferred first) listed for ``version``."""
    release = load(path).get(str(version))
    if release is None:
        return None
    for name in assets:
        if name in release.assets:
            return Known(release, name, release.assets[name])
    return None


def known_sha256(version: Version, asset: str, path: Path | None = None) -> str | None:
    """The verified sha256 of one release asset, or None when the manifest does not list it."""
    hit = lookup(version, [asset], path)
    return hit.sha256 if hit else None


def dumps(releases: dict[str, KnownRelease], about: str) -> str:
    """The manifest's text: stable order (versions ascending, assets by name) so a diff shows only what changed."""
    ordered = sorted(releases.values(), key=lambda r: r.version.key())
    body = {
        "schema": SCHEMA,
        "upstream": UPSTREAM,
        "about": about,
        "releases": {
            str(r.version): {
                "tag": r.tag,
                "verified_at": r.verified_at,
                "assets": {
                    name: {"sha256": a.sha256, "signer": a.signer, "source": a.source}
                    for name, a in sorted(r.assets.items())
                },
            }
            for r in ordered
        },
    }
    return json.dumps(body, indent=2) + "\n"


def about_text(path: Path | None = None) -> str:
    """The manifest's own ``about`` line (what it is and how it is kept current), for the README and the log."""
    try:
        return str(json.loads((path or MANIFEST).read_text(encoding="utf-8")).get("about", ""))
    except (OSError, ValueError):
        return ""


def mismatch(url: str, hit: Known, actual: str) -> ActionError:
    """The error for a download whose sha256 is not the one the manifest lists for its asset."""
    return ActionError(
        what=f"The downloaded wash {hit.release.version} does not match its verified sha256",
        why=f"{url} served a file with sha256 {actual}; {hit.asset} of {hit.release.tag} was verified against "
        f"wasmCloud's provenance on {hit.release.verified_at or 'an earlier date'} with sha256 {hit.sha256}. "
        "The download was corrupted, or the file is not the released binary; nothing was installed.",
        fix="Re-run the job. If it fails again, check 'download-base-url' (leave it unset to download from GitHub).",
        docs="#trust-model",
    )
