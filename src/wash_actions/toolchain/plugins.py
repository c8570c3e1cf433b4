"""wash host plugins: OCI references pulled with ``wash oci pull``, cached by reference and digest.

A plugin is named by a fully qualified OCI reference (``ghcr.io/acme/plugin:1.0``), optionally prefixed
with its id (``metrics=ghcr.io/acme/metrics:1.0``; the id defaults to the repository's last path part).
Each reference is resolved to its manifest digest, and the component is stored once per digest under
``<root>/<digest hex>/<id>.wasm``; a digest already there is not pulled again. wash loads them from
``WASH_HOST_PLUGINS`` (``id=<name>,file=<path>`` entries separated by ``;``) — only wash builds compiled
with host component plugin support do; the released binaries do not.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ActionError
from ..oci import registry
from ..runner import transport
from . import wash

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_REF = re.compile(
    r"^(?P<host>[^/]+\.[^/]+|[^/]+:\d+|localhost)/(?P<repo>[a-z0-9._/-]+?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
MARKER = ".complete"


@dataclass(frozen=True)
class Plugin:
    id: str
    reference: str
    host: str
    repository: str
    reference_part: str  # tag or digest to resolve


def parse(items: list[str]) -> list[Plugin]:
    """Plugin references (``[id=]registry/repository[:tag|@digest]``), checked and given ids."""
    plugins: list[Plugin] = []
    for item in items:
        given_id, sep, ref = item.partition("=")
        if not sep:
            given_id, ref = "", item
        match = _REF.match(ref.strip())
        if not match:
            raise ActionError(
                what=f"plugins entry {item!r} is not a fully qualified OCI reference",
                why="Each plugin is <registry>/<repository>[:tag|@sha256:…], optionally prefixed with its id "
                "(id=reference).",
                fix="with:\n  plugins: |\n    ghcr.io/acme/my-plugin:1.0.0",
                docs="#plugins",
            )
        plugin_id = given_id.strip() or match.group("repo").rsplit("/", 1)[-1]
        if not _ID.match(plugin_id):
            raise ActionError(
                what=f"Plugin id {plugin_id!r} is not valid",
                why="A plugin id is letters, digits, '-' and '_', starting with a letter or digit.",
                fix="Name it explicitly:\nwith:\n  plugins: |\n    my-plugin=ghcr.io/acme/my-plugin:1.0.0",
                docs="#plugins",
            )
        if any(p.id == plugin_id for p in plugins):
            raise ActionError(
                what=f"Two plugins have the id {plugin_id!r}",
                why="wash identifies host plugins by id; each must be unique.",
                fix="Give one an explicit id:\nwith:\n  plugins: |\n    other-id=ghcr.io/acme/other:1.0.0",
                docs="#plugins",
            )
        part = match.group("digest") or match.group("tag") or "latest"
        plugins.append(Plugin(plugin_id, ref.strip(), match.group("host"), match.group("repo"), part))
    return plugins


def install(
    wash_binary: str,
    plugins: list[Plugin],
    root: Path,
    *,
    insecure: bool,
    credentials: dict[str, registry.Credentials],
) -> tuple[dict[str, str], list[str]]:
    """Resolve, pull (when not cached) and return ``{id: file}`` and the ids served from the cache."""
    files: dict[str, str] = {}
    cached: list[str] = []
    for plugin in plugins:
        client = registry.Registry(plugin.host, insecure=insecure, credentials=credentials.get(plugin.host))
        digest = transport.check_digest(client.resolve(plugin.repository, plugin.reference_part), source=plugin.host)
        directory = root / digest.split(":", 1)[1]  # a validated sha256: 64 hex characters, never a path
        target = directory / f"{plugin.id}.wasm"
        if (directory / MARKER).is_file() and target.is_file():
            cached.append(plugin.id)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pull-", suffix=".wasm")
            os.close(fd)
            try:
                pinned = f"{plugin.host}/{plugin.repository}@{digest}"
                args = ["oci", "pull", *(["--insecure"] if insecure else []), pinned, tmp]
                result = wash.run(wash_binary, args)
                if result.envelope is None or not result.envelope.success:
                    message = result.envelope.message if result.envelope else result.tail()
                    raise ActionError(
                        what=f"wash oci pull of plugin {plugin.id} ({plugin.reference}) failed",
                        why=message or "wash gave no reason.",
                        fix="Check the reference and that the runner can read it (docker login for private ones).",
                        docs="#plugins",
                    )
                os.replace(tmp, target)
                (directory / MARKER).write_text(plugin.reference + "\n")
            finally:
                Path(tmp).unlink(missing_ok=True)
        files[plugin.id] = str(target)
    return files, cached


def host_plugins_env(files: dict[str, str]) -> str:
    """The WASH_HOST_PLUGINS value for the installed plugin files (``id=…,file=…`` joined by ``;``)."""
    return ";".join(f"id={plugin_id},file={path}" for plugin_id, path in files.items())
