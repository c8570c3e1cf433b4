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
from typing import NamedTuple

from ..component import metadata
from ..component import world as component
from ..component.sections import MalformedWasm, custom_sections, read_leb128
from ..component.spdx import spdx_expression
from ..component.urls import normalize_url
from ..errors import ActionError
from .media import OCI_MANIFEST, Manifest, digest_of
from .timestamps import Instant

LAYER_MEDIA_TYPE = "application/wasm"
CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
MANIFEST_MEDIA_TYPE = OCI_MANIFEST
CREATED = "org.opencontainers.image.created"
TITLE = "org.opencontainers.image.title"


def manifest_annotations(wasm: bytes | memoryview, created: Instant, *, name: str = "the component") -> dict[str, str]:
    """The manifest annotations wash writes for this component (``wasm-metadata`` values, then created).

    A value wash cannot parse (a license that is not SPDX, a relative URL) makes wash's push fail: it is
    refused here the same way, before anything is pushed.
    """
    found: dict[str, str] = {}
    title = ""
    try:
        sections = custom_sections(wasm)
    except MalformedWasm as exc:
        raise component.unreadable(name, f"Reading its custom sections failed: {exc}.") from None
    for section, data in sections:
        if section == "component-name":
            title = component_name(data) or title
        elif section in metadata.ANNOTATIONS:
            try:
                found[section] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise _bad_metadata(section, "is not UTF-8") from None
    values: dict[str, str] = {}
    if title:
        values[TITLE] = title
    for key, value in found.items():
        if key == "licenses":
            parsed = spdx_expression(value)
            if parsed is None:
                raise _bad_metadata(key, f"{value!r} is not an SPDX expression of known, current license ids")
            value = parsed
        elif key in ("homepage", "source"):
            url = normalize_url(value)
            if url is None:
                raise _bad_metadata(key, f"{value!r} is not an absolute http(s) URL")
            value = url
        values[metadata.ANNOTATIONS[key]] = value
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
    """The component's own name from a ``component-name`` section (subsection 0), or "" when it has none or the
    section cannot be read (read with the bounded LEB128 reader: a crafted section costs linear time)."""
    pos = 0
    try:
        while pos < len(data):
            kind = data[pos]
            size, pos = read_leb128(data, pos + 1)
            body = data[pos : pos + size]
            pos += size
            if kind == 0x00:
                length, start = read_leb128(body, 0)
                if start + length > len(body):
                    return ""
                return body[start : start + length].decode("utf-8")
    except (MalformedWasm, UnicodeDecodeError):
        return ""
    return ""


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
    notes = manifest_annotations(wasm, created, name=name)
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
