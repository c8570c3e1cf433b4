"""publish's SBOM inputs, read before any work is done, apart from the SBOM code (:mod:`sbom`, which a publish
that attests nothing never imports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ..errors import ActionError

SPEC_VERSIONS = ("1.5", "1.6")
DEFAULT_SPEC_VERSION = "1.6"


class SbomOptions(NamedTuple):
    mode: str  # auto, true, false
    path: str
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
    return SbomOptions(mode, path, tuple(notices))
