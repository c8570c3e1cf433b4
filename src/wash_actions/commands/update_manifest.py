"""update-manifest: add new wash releases to the manifest of known releases, each binary verified first.

This project's scheduled workflow (.github/workflows/update-wash-manifest.yml) runs it, never a user's
runner. It lists wasmCloud/wasmCloud's releases, and for every version (>= 2.0.0) not yet in the manifest
downloads each platform binary and verifies it against wasmCloud's provenance with the full Sigstore policy
(``verifier.verify``: gh when it is on PATH, else sigstore-python; the release's wash.sigstore.json, else GitHub's
attestations API; SLSA provenance with the binary as subject).
A release is added only when every binary verified; one that does not is left out and the run fails. The
pull request body lists what was added, with each binary's sha256, signer and source.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import versions
from ..errors import ActionError
from ..runner import gha, transport
from ..toolchain import assets, install, known, resolution, wash_releases
from ..trust import verifier

# the platform binaries a wash release carries (release-tag.yml attests ./artifacts/*/wash*)
BINARY = re.compile(r"wash-(?:x86_64|aarch64)-(?:unknown-linux-(?:gnu|musl)|apple-darwin|pc-windows-msvc)(?:\.exe)?")
MIN_VERSION = "2.0.0"


@dataclass(frozen=True)
class UpdateInputs:
    api_url: str
    token: str
    manifest: Path
    body_path: Path
    min_version: versions.Version
    trust_configs: tuple[str, ...]

    @property
    def auth(self) -> transport.Auth | None:
        """The token, for the Releases and attestations API's host only."""
        return transport.Auth.bearer(self.token, self.api_url)

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> UpdateInputs:
        root = gha.env("WASHACTIONS_ROOT")
        # the checkout's manifest, not the copy inside the runtime's venv
        checkout = Path(root) / "src" / "wash_actions" / "data" / known.MANIFEST.name if root else None
        default_manifest = checkout or known.MANIFEST
        minimum = versions.parse_version(inputs.get("min-version", MIN_VERSION))
        if minimum is None:
            raise ActionError(
                what=f"min-version {inputs.get('min-version')!r} is not a version",
                why="It is the oldest wash release the manifest lists.",
                fix=f"with:\n  min-version: {MIN_VERSION}",
            )
        return cls(
            api_url=inputs.get("github-api-url") or resolution.default_api_url(gha.env("GITHUB_SERVER_URL"), ""),
            token=inputs.secret("github-token"),
            manifest=Path(inputs.get("manifest") or default_manifest),
            body_path=Path(inputs.get("body-path") or gha.temp_dir() / "wash-manifest-pr.md"),
            min_version=minimum,
            trust_configs=verifier.trust_configs_from(dict(os.environ)),
        )


@dataclass
class Outcome:
    added: list[known.KnownRelease] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # tag -> why
    skipped: list[str] = field(default_factory=list)  # tags with no wash binary


def candidates(
    listed: list[assets.Release], manifest: dict[str, known.KnownRelease], minimum: versions.Version
) -> list[assets.Release]:
    """Releases to consider: at least ``minimum``, not in the manifest yet, oldest first."""
    fresh = {r.version: r for r in listed if str(r.version) not in manifest and not r.version < minimum}
    return [fresh[v] for v in sorted(fresh, key=versions.Version.key)]


def binaries(release: assets.Release) -> list[assets.Asset]:
    """The release's wash binaries (``wash-<target triple>[.exe]``), by name."""
    return [a for name, a in sorted(release.assets.items()) if BINARY.fullmatch(name)]


Verify = Callable[[str, bytes | None, Path], tuple[str, str]]  # (sha256, release bundle, binary) -> (source, signer)


def check_release(
    release: assets.Release, workdir: Path, verify: Verify, now: str, fetch: Callable[[str], bytes | None]
) -> known.KnownRelease:
    """Download and verify every binary of one release; raises ActionError naming the first that fails."""
    bundle_asset = release.assets.get(assets.BUNDLE_ASSET)
    bundle = fetch(bundle_asset.url) if bundle_asset else None
    verified: dict[str, known.KnownAsset] = {}
    for asset in binaries(release):
        target = workdir / release.tag / asset.name
        try:
            install.download(asset.url, target)
        except install.NotFound:
            raise ActionError(
                what=f"{release.tag}: {asset.name} is listed but not downloadable",
                why=f"{asset.url} answered 404.",
                fix="Re-run the workflow later; the release may still be uploading.",
            ) from None
        sha = install.sha256_file(target)
        reported = asset.digest.lower().removeprefix("sha256:")
        if reported and reported != sha:
            raise ActionError(
                what=f"{release.tag}: {asset.name} does not match the digest the Releases API reports",
                why=f"Downloaded sha256 {sha}, the API says {reported}.",
                fix="Re-run the workflow; if it persists, report it to wasmCloud before listing the release.",
            )
        try:
            source, signer = verify(sha, bundle, target)
        finally:
            target.unlink()
        verified[asset.name] = known.KnownAsset(sha, signer, source)
    return known.KnownRelease(release.version, release.tag, now, verified)


def release_verifier(inputs: UpdateInputs) -> Verify:
    """setup-wash's verification (the one verifier, ``verifier.verify``: the GitHub CLI when it is on PATH,
    sigstore-python when gh is missing or cannot judge, a refusal by gh final) with wasmCloud's release policy:
    the release's bundle, then GitHub's attestations API."""
    import shutil

    from ..trust import bundle_sources, verifier
    from ..trust import policy as trust_policy

    gh = shutil.which("gh")
    policy = trust_policy.WASH_POLICY

    def verify(sha256: str, bundle: bytes | None, binary: Path) -> tuple[str, str]:
        sources = [
            bundle_sources.given(f"release asset {assets.BUNDLE_ASSET}", [bundle] if bundle else []),
            bundle_sources.attestations_api(inputs.api_url, inputs.auth, policy.source, sha256),
        ]
        artifact = verifier.Artifact(sha256, binary.name, path=binary)
        evidence = verifier.verify(artifact, sources, policy, gh=gh, trust_configs=inputs.trust_configs)
        if evidence.fallback:
            gha.info(f"The GitHub CLI could not verify ({evidence.fallback}); verified with sigstore-python instead.")
        label = verifier.VERIFIER_LABELS[evidence.verifier]
        gha.info(f"sha256 {sha256}: verified by {label} via {evidence.source}")
        return evidence.source, evidence.identity

    return verify


def pr_body(outcome: Outcome, manifest: Path) -> str:
    """The pull request's body: each added release with its assets, digests and signers, then what was not added."""
    lines = ["Known wash releases, verified against wasmCloud's Sigstore provenance before being listed.", ""]
    for release in outcome.added:
        lines += [
            f"### wash {release.version} ({release.tag})",
            "",
            f"Verified {release.verified_at} by `python -m wash_actions update-manifest`.",
            "",
            "| asset | sha256 | signed by | source |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{name}` | `{a.sha256}` | `{a.signer}` | {a.source} |" for name, a in sorted(release.assets.items())
        ]
        lines.append("")
    if outcome.failed:
        lines += ["### Not added: provenance did not verify", ""]
        lines += [f"- {tag}: {why}" for tag, why in outcome.failed.items()]
        lines.append("")
    if outcome.skipped:
        lines += ["Releases without a wash binary (not listed): " + ", ".join(outcome.skipped), ""]
    lines.append(f"setup-wash verifies these binaries by their sha256 alone (`{manifest.name}`).")
    return "\n".join(lines) + "\n"


def run(
    inputs: UpdateInputs,
    *,
    verifier: Verify | None = None,
    fetch: Callable[[str], bytes | None] | None = None,
    now: str | None = None,
) -> dict[str, str]:
    """List new releases, verify every binary, write the merged manifest and the PR body; fail if one release failed."""
    manifest = known.load(inputs.manifest)
    listed = wash_releases.list_releases(inputs.api_url, inputs.auth)
    todo = candidates(listed, manifest, inputs.min_version)
    outcome = Outcome()
    stamp = now or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if todo:
        gha.info("New wash releases: " + ", ".join(r.tag for r in todo))
        verify = verifier or release_verifier(inputs)
        fetch_bundle: Callable[[str], bytes | None]
        if fetch is None:
            from ..trust.bundle_sources import fetch_asset as fetch_bundle
        else:
            fetch_bundle = fetch
        with tempfile.TemporaryDirectory(prefix="wash-manifest-") as workdir:
            for release in todo:
                if not binaries(release):
                    outcome.skipped.append(release.tag)
                    continue
                try:
                    outcome.added.append(check_release(release, Path(workdir), verify, stamp, fetch_bundle))
                    gha.info(f"Verified every binary of {release.tag}")
                except ActionError as exc:
                    outcome.failed[release.tag] = f"{exc.what}: {exc.why}"
                    gha.warning(f"{release.tag} is not added: {exc.what}", title="update-manifest")
    if outcome.added:
        merged = {**manifest, **{str(r.version): r for r in outcome.added}}
        inputs.manifest.write_text(known.dumps(merged, known.about_text(inputs.manifest)), encoding="utf-8")
    body = pr_body(outcome, inputs.manifest)
    inputs.body_path.parent.mkdir(parents=True, exist_ok=True)
    inputs.body_path.write_text(body, encoding="utf-8")
    gha.summary(body)
    if outcome.failed:
        raise ActionError(
            what=f"{len(outcome.failed)} wash release(s) failed provenance verification and were not added: "
            + ", ".join(outcome.failed),
            why="; ".join(f"{tag}: {why}" for tag, why in outcome.failed.items())[:2000],
            fix="Do not list these releases by hand. Check the release's wash.sigstore.json and attestations "
            "(gh attestation verify <binary> --repo wasmCloud/wasmCloud), then re-run the workflow.",
            docs="#trust-model",
        )
    added = [str(r.version) for r in outcome.added]
    return {
        "added": str(len(added)),
        "versions": ", ".join(added),
        "body-path": str(inputs.body_path),
        "manifest": str(inputs.manifest),
    }
