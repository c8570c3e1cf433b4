"""The OCI artifact of a component, byte for byte as ``wash oci push`` writes it, with a chosen ``created``.

wash 2.x pushes with ``push_component`` (wasmCloud/wasmCloud ``crates/wash-runtime/src/oci.rs``, commit
7cd553cc5) after collecting annotations in ``crates/wash/src/cli/oci.rs``; the layout is the ``oci-wasm``
crate's (bytecodealliance/rust-oci-wasm 0.4 ``src/config.rs``, ``src/component.rs``, ``src/client.rs``, commit
457847b), the CNCF TAG Runtime "Wasm OCI Artifact" layout:

- one layer, media type ``application/wasm``: the component's bytes, unchanged;
- the config blob ``application/vnd.wasm.config.v0+json``: ``WasmConfig`` serialised by serde_json in field
  order, compact: ``created`` (chrono, RFC 3339 in UTC with ``Z``, fractional seconds only when non-zero),
  ``author`` (``null``: wash passes none), ``architecture: "wasm"``, ``os: "wasip2"``, ``layerDigests``, and
  ``component`` {``exports``, ``imports``, ``target: null``} from the component's world (:mod:`component`);
- the manifest ``application/vnd.oci.image.manifest.v1+json`` with its keys sorted (oci-client serialises it
  through a sorted map): ``annotations``, ``config``, ``layers``, ``mediaType``, ``schemaVersion: 2``. The
  annotations are the component's wasm-metadata (``component-name`` → ``org.opencontainers.image.title``, and
  :data:`metadata.ANNOTATIONS`) plus ``org.opencontainers.image.created`` (chrono ``to_rfc3339``: ``+00:00``).

The only inputs are the component's bytes and the ``created`` instant, so the same bytes and the same
instant give the same digest on any machine: :func:`build` is what publish pushes and what ``digest`` prints.
wash itself stamps the current time into both ``created`` values (``Utc::now()``), which is why two of its
pushes never share a digest.
"""

from __future__ import annotations

import json
import mmap
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from . import component, metadata
from .errors import ActionError
from .registry import OCI_MANIFEST, Manifest, digest_of
from .spdx import spdx_expression
from .urls import normalize_url
from .wasm_sections import custom_sections

LAYER_MEDIA_TYPE = "application/wasm"
CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
MANIFEST_MEDIA_TYPE = OCI_MANIFEST
CREATED = "org.opencontainers.image.created"
TITLE = "org.opencontainers.image.title"


class Instant(NamedTuple):
    """A point in time to the nanosecond (chrono's precision; ``datetime`` stops at microseconds)."""

    seconds: int  # since the Unix epoch, UTC
    nanos: int = 0

    def _base(self) -> str:
        return datetime.fromtimestamp(self.seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def _fraction(self) -> str:
        """chrono's ``SecondsFormat::AutoSi``: none, 3, 6 or 9 digits, the fewest that are exact."""
        if not self.nanos:
            return ""
        if self.nanos % 1_000_000 == 0:
            return f".{self.nanos // 1_000_000:03d}"
        if self.nanos % 1_000 == 0:
            return f".{self.nanos // 1_000:06d}"
        return f".{self.nanos:09d}"

    def config_time(self) -> str:
        """As serde writes chrono's ``DateTime<Utc>``: ``2026-05-01T12:00:00Z``."""
        return f"{self._base()}{self._fraction()}Z"

    def annotation_time(self) -> str:
        """As chrono's ``to_rfc3339()``: ``2026-05-01T12:00:00+00:00``."""
        return f"{self._base()}{self._fraction()}+00:00"

    @classmethod
    def now(cls) -> Instant:
        stamp = datetime.now(UTC)
        return cls(int(stamp.replace(microsecond=0).timestamp()), stamp.microsecond * 1000)


_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII)


def parse_rfc3339(value: str) -> Instant | None:
    """An RFC 3339 date-time (any offset, up to nanoseconds), or None."""
    match = _RFC3339.fullmatch(value.strip())
    if not match:
        return None
    day, clock, fraction, offset = match.groups()
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        stamp = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return Instant(int(stamp.timestamp()), int((fraction or "0").ljust(9, "0")))


def manifest_annotations(wasm: bytes | memoryview, created: Instant) -> dict[str, str]:
    """The manifest annotations wash writes for this component (``wasm-metadata`` values, then created).

    A value wash cannot parse (a license that is not SPDX, a relative URL) makes wash's push fail: it is
    refused here the same way, before anything is pushed.
    """
    found: dict[str, str] = {}
    title = ""
    for name, data in custom_sections(wasm):
        if name == "component-name":
            title = component_name(data) or title
        elif name in metadata.ANNOTATIONS:
            try:
                found[name] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise _bad_metadata(name, "is not UTF-8") from None
    values: dict[str, str] = {}
    if title:
        values[TITLE] = title
    for name, value in found.items():
        if name == "licenses":
            parsed = spdx_expression(value)
            if parsed is None:
                raise _bad_metadata(name, f"{value!r} is not an SPDX expression of known, current license ids")
            value = parsed
        elif name in ("homepage", "source"):
            url = normalize_url(value)
            if url is None:
                raise _bad_metadata(name, f"{value!r} is not an absolute http(s) URL")
            value = url
        values[metadata.ANNOTATIONS[name]] = value
    values[CREATED] = created.annotation_time()
    return dict(sorted(values.items()))


def _bad_metadata(name: str, why: str) -> ActionError:
    return ActionError(
        what=f"The component's {name!r} metadata section {why}",
        why="It becomes an OCI annotation; wash (and so this publish) refuses a value it cannot parse. "
        "Nothing was pushed.",
        fix="Rebuild the component with a valid value (build's metadata inputs check them), e.g.\nwith:\n"
        "  licenses: Apache-2.0",
        docs="#metadata",
    )


def component_name(data: bytes) -> str:
    """The component's own name from a ``component-name`` section (subsection 0), or "" when it has none."""
    pos = 0
    while pos < len(data):
        kind = data[pos]
        try:
            size, pos = _leb(data, pos + 1)
        except IndexError:
            return ""
        body = data[pos : pos + size]
        pos += size
        if kind == 0x00:
            try:
                length, start = _leb(body, 0)
                return body[start : start + length].decode("utf-8")
            except (IndexError, UnicodeDecodeError):
                return ""
    return ""


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


class Artifact(NamedTuple):
    """What publish pushes: the layer (the component), the config blob and the manifest that names them."""

    layer_digest: str
    config: bytes
    manifest: Manifest
    annotations: dict[str, str]
    world: component.World

    @property
    def digest(self) -> str:
        """The manifest digest: what the tags name and what attestations are about."""
        return self.manifest.digest

    @property
    def config_digest(self) -> str:
        """The config blob's digest."""
        return digest_of(self.config)


def _json(value: object, *, sort: bool = False) -> bytes:
    """serde_json's compact form: no spaces, UTF-8 as is, control characters escaped like Python's."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort).encode()


def map_component(path: Path) -> memoryview:
    """The component's bytes, mapped rather than read: hashing and parsing touch each page once and nothing is
    copied (a re-run reads an 18 MB component only to learn its digest; a first release sends it from here)."""
    with path.open("rb") as handle:
        if not path.stat().st_size:
            return memoryview(b"")
        return memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))


def build(
    wasm: bytes | memoryview, created: Instant, *, name: str = "the component", extra: dict[str, str] | None = None
) -> Artifact:
    """The artifact ``wash oci push`` would write for these bytes at ``created``; ``extra`` annotations (publish's
    source key) are added to wash's."""
    world = component.read_world(wasm, name=name)
    layer_digest = digest_of(wasm)
    config = _json(
        {
            "created": created.config_time(),
            "author": None,
            "architecture": "wasm",
            "os": "wasip2",
            "layerDigests": [layer_digest],
            "component": {
                "exports": [item.name for item in world.exports if item.kind != "type"],
                "imports": world.import_names,
                "target": None,
            },
        }
    )
    notes = manifest_annotations(wasm, created)
    if extra:
        notes = dict(sorted({**notes, **extra}.items()))
    body = _json(
        {
            "annotations": notes,
            "config": {"digest": digest_of(config), "mediaType": CONFIG_MEDIA_TYPE, "size": len(config)},
            "layers": [{"digest": layer_digest, "mediaType": LAYER_MEDIA_TYPE, "size": len(wasm)}],
            "mediaType": MANIFEST_MEDIA_TYPE,
            "schemaVersion": 2,
        },
        sort=True,
    )
    return Artifact(layer_digest, config, Manifest(body, MANIFEST_MEDIA_TYPE, digest_of(body)), notes, world)
