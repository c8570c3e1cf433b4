"""publish's SBOM inputs, read before any work is done, apart from the SBOM code (:mod:`sbom`, which a publish
that attests nothing never imports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .errors import ActionError

SPEC_VERSIONS = ("1.5", "1.6")
DEFAULT_SPEC_VERSION = "1.6"


class SbomInput(NamedTuple):
    name: str
    default: str
    description: str


PUBLISH_INPUTS: tuple[SbomInput, ...] = (
    SbomInput(
        "sbom",
        "auto",
        "`auto` makes a CycloneDX SBOM of the component (from cargo-auditable's `.dep-v0`, else the lock file) "
        "and attests it next to the provenance when `attest` does; `true` requires it; `false` skips it.",
    ),
    SbomInput("sbom-path", "", "Your own SBOM (SPDX or CycloneDX JSON, at most 16 MiB) to attest instead of ours."),
    SbomInput(
        "cyclonedx-version",
        "",
        "wasmCloud/actions name, accepted for a drop-in; nothing is downloaded, so it has no effect beyond a notice.",
    ),
    # wasmCloud/actions wash-oci-publish passes `token` only to docker/login-action as the password for
    # `github.actor`; its attest steps use the job's token. So it maps to `password`, not `github-token`.
    SbomInput("token", "", "wasmCloud/actions name for `password` (the registry login as `github.actor`)."),
)


class SbomOptions(NamedTuple):
    mode: str  # auto, true, false
    path: str
    spec_version: str
    notices: tuple[str, ...]


def sbom_options(raw: Mapping[str, str]) -> SbomOptions:
    """Parse the SBOM inputs; ``cyclonedx-version`` is read only to say it does nothing."""
    mode = raw.get("sbom", "").strip().lower() or "auto"
    if mode not in {"auto", "true", "false"}:
        raise ActionError(
            what=f"sbom {raw.get('sbom')!r} is not auto, true or false",
            why="sbom says whether publish makes and attests an SBOM of the component.",
            fix="with:\n  sbom: true",
            docs="#sbom",
        )
    path = raw.get("sbom-path", "").strip()
    if path and mode == "false":
        raise ActionError(
            what="sbom-path is set but sbom is false",
            why="An SBOM is attested only when sbom is auto or true.",
            fix="with:\n  sbom: true\n  sbom-path: sbom.spdx.json",
            docs="#sbom",
        )
    notices = []
    if cdx := raw.get("cyclonedx-version", "").strip():
        notices.append(
            f"cyclonedx-version {cdx} is accepted for wasmCloud/actions workflows and ignored: publish writes "
            f"the CycloneDX {DEFAULT_SPEC_VERSION} SBOM itself and downloads no cyclonedx-cli or auditable2cdx."
        )
    return SbomOptions(mode, path, DEFAULT_SPEC_VERSION, tuple(notices))
