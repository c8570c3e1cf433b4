"""A component's imports and exports read from its registry, by image reference.

wash pushes a component as the ``oci-wasm`` layout (see :mod:`layout`): its config blob
(``application/vnd.wasm.config.v0+json``) lists the world as ``component.imports`` and ``component.exports``,
so the world is read from the manifest and the config alone, without the layer. An image whose config lacks
them (pushed by another tool) is read from its one ``application/wasm`` layer, at most :data:`LAYER_LIMIT`
bytes (refused from the manifest's stated size before the download, and as it arrives), with the project's
own component reader. Every name, from a config or a layer, must be a component-model name: a config that
says ``x\\n::error::…`` is refused, not printed.

Credentials as publish has them (:func:`registry.pull_credentials`): for ghcr.io the job's token
(``github.token``), elsewhere the runner's docker login; ``insecure`` (plain HTTP) only for a registry on
this machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from ..component import interfaces
from ..component import world as component
from ..errors import ActionError
from ..oci import registry
from ..oci.references import ImageRef
from ..runner import transport

CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
LAYER_MEDIA_TYPE = "application/wasm"
CONFIG_LIMIT = 1 << 20
LAYER_LIMIT = 256 << 20  # componentize-py components are ~40 MB; nothing real is near this


class Access(NamedTuple):
    """How to reach registries: the docker config directory, the job's actor and token, plain HTTP on loopback."""

    docker_config: Path
    actor: str
    token: str
    insecure: bool


class Read(NamedTuple):
    """A component's world from the registry, the digest it was read at and from where (config or layer)."""

    world: component.World
    digest: str
    source: str  # "config" or "layer"


def checked_names(names: Any, *, where: str, field: str) -> tuple[str, ...]:
    """A list of component-model names (``ns:pkg/iface@version`` or a plain kebab name); else one error."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ActionError(
            what=f"{where}: the image's config has a {field} that is not a list of names",
            why="wash writes component.imports and component.exports as lists of strings; this config was "
            "written by something else or altered.",
            fix="Push the component with wash (or this project's publish action).",
            docs="#workloads",
        )
    for name in names:
        if not interfaces.is_model_name(name):
            shown = name[:80].encode("unicode_escape").decode()
            raise ActionError(
                what=f"{where}: the image's config names an {field[:-1]} that is not a component-model name",
                why=f"{shown!r} is no interface or function name any toolchain writes; the config lies about "
                "the component, so nothing it says is used.",
                fix="Push the component again with wash (or this project's publish action).",
                docs="#workloads",
            )
    return tuple(names)


def _world_from_config(config: Any, where: str) -> component.World | None:
    if not isinstance(config, dict) or not isinstance(config.get("component"), dict):
        return None
    described = config["component"]
    if "imports" not in described or "exports" not in described:
        return None
    imports = checked_names(described["imports"], where=where, field="imports")
    exports = checked_names(described["exports"], where=where, field="exports")
    return component.World(
        tuple(component.Extern(n, "instance" if "/" in n else "func") for n in imports),
        tuple(component.Extern(n, "instance" if "/" in n else "func") for n in exports),
    )


def read(image: ImageRef, access: Access, *, where: str) -> Read:
    """The world of the component ``image`` names: from its config blob, else from its layer."""
    insecure = access.insecure and transport.is_loopback(image.registry)
    creds = registry.pull_credentials(
        image.registry, "", "", job_actor=access.actor, job_token=access.token, docker_config=access.docker_config
    )
    client = registry.Registry(image.registry, insecure=insecure, credentials=creds)
    try:
        manifest = client.get_manifest(image.repository, image.digest or image.tag or "latest")
        document = _json(manifest.body, where, "manifest")
        config_ref = document.get("config") if isinstance(document, dict) else None
        layers = document.get("layers") if isinstance(document, dict) else None
        if not isinstance(config_ref, dict) or not isinstance(layers, list):
            raise ActionError(
                what=f"{where}: {image!s} is not a component image",
                why=f"Its manifest ({transport.sanitise(manifest.media_type, 80)}) has no config and layers: an "
                "index or another kind of artifact.",
                fix="Point image at the component itself (the reference publish printed).",
                docs="#workloads",
            )
        if config_ref.get("mediaType") == CONFIG_MEDIA_TYPE:
            config = _json(
                client.get_blob(image.repository, str(config_ref.get("digest")), max_bytes=CONFIG_LIMIT),
                where,
                "config",
            )
            world = _world_from_config(config, where)
            if world is not None:
                _same_layers(config, layers, where, image)
                return Read(world, manifest.digest, "config")
        wasm = [layer for layer in layers if isinstance(layer, dict) and layer.get("mediaType") == LAYER_MEDIA_TYPE]
        if len(wasm) != 1:
            raise ActionError(
                what=f"{where}: {image!s} has {len(wasm)} application/wasm layers",
                why="A component image has exactly one layer holding the component.",
                fix="Point image at a component pushed by wash (or this project's publish action).",
                docs="#workloads",
            )
        size = wasm[0].get("size")
        if not isinstance(size, int) or size > LAYER_LIMIT:
            raise ActionError(
                what=f"{where}: {image!s}'s component layer is {size!r} bytes, more than check reads "
                f"({LAYER_LIMIT >> 20} MiB)",
                why="Its config does not list the component's imports and exports, and its layer is too large to "
                "be a real component.",
                fix="Push the component with wash (or this project's publish action): its config lists them.",
                docs="#workloads",
            )
        data = client.get_blob(image.repository, str(wasm[0].get("digest")), max_bytes=size)
    except ActionError as exc:
        if exc.what.startswith(where):
            raise
        raise ActionError(
            what=f"{where}: {image!s} cannot be read: {exc.what}",
            why=exc.why,
            fix="Check the image reference, and that the job can pull it (docker login before this step for a "
            "private registry; ghcr.io uses the job's token, which needs packages: read):\n"
            "- uses: docker/login-action@<sha>\n  with:\n    registry: registry.example.com",
            docs="#workloads",
        ) from None
    world = component.read_world(data, name=f"{where}: {image!s}")
    for item in (*world.imports, *world.exports):
        checked_names([item.name], where=where, field="imports" if item in world.imports else "exports")
    return Read(world, manifest.digest, "layer")


def _same_layers(config: dict[str, Any], layers: list[Any], where: str, image: ImageRef) -> None:
    """wash's config names the layer it describes (``layerDigests``): a config that describes another layer than
    the manifest's is refused, not believed."""
    described = config.get("layerDigests")
    if described is None:
        return
    actual = [layer.get("digest") for layer in layers if isinstance(layer, dict)]
    if described != actual:
        raise ActionError(
            what=f"{where}: the config of {image!s} describes another component than its layer",
            why="Its layerDigests do not name the manifest's layers: the config was copied from another image or "
            "altered, so the imports and exports it lists are not this component's.",
            fix="Push the component again with wash (or this project's publish action).",
            docs="#workloads",
        )


def _json(body: bytes, where: str, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ActionError(
            what=f"{where}: the image's {what} is not JSON",
            why="The registry served something other than an OCI document.",
            fix="Check the image reference and the registry.",
            docs="#workloads",
        ) from None
