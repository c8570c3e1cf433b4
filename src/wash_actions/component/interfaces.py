"""Interface names, the patterns users write for them, and what a wasmCloud host provides.

An import or export of a component is named ``ns:pkg/iface@version`` (an interface) or plainly (a function,
``greet``). Whether one version satisfies another follows the component model's semver rule
(WebAssembly/component-model ``design/mvp/Explainer.md``, "Import and Export Definitions": versions are
compatible when they agree up to the first non-zero of major, minor and patch), which is what Wasmtime's
linker applies when a host links an import (bytecodealliance/wasmtime ``crates/wasmtime/src/runtime/
component/linker.rs``, semver-compatible lookup): ``1.2.0`` and ``1.9.3`` are compatible, ``0.2.3`` and
``0.2.9`` are, ``0.2.x`` and ``0.3.x`` are not, ``0.0.1`` only matches itself, and a prerelease
(``0.2.0-draft``, ``0.2.0-rc.1``) only matches itself.

Patterns (``host-interfaces``, ``deny-imports``): ``ns:pkg/iface@1.2.3`` (a compatible version),
``ns:pkg/iface@0.2`` (any ``0.2.x``), ``ns:pkg/iface`` (any version), ``ns:pkg/*`` (every interface of the
package, optionally ``@version``), ``ns:*`` (the namespace), ``*`` (everything), or a plain name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from .. import versions
from ..errors import ActionError

_NAME = re.compile(
    r"(?P<ns>[a-z][a-z0-9-]*):(?P<pkg>[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)*)/(?P<iface>[a-z][a-z0-9-]*)"
    r"(?:@(?P<version>[0-9A-Za-z.+-]+))?\Z"
)
# What a toolchain writes and a host accepts as an import or export name: an interface (``ns:pkg/iface``, nested
# packages, optionally ``@version``) or a plain kebab name; control characters and ``::`` are not names.
_MODEL_NAME = re.compile(
    r"[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)+/[a-zA-Z][a-zA-Z0-9-]*(?:@[0-9A-Za-z.+-]+)?\Z|[a-zA-Z][a-zA-Z0-9-]*\Z"
)
_PATTERN = re.compile(
    r"(?P<ns>[a-z][a-z0-9-]*):(?:(?P<all>\*)|(?P<pkg>[a-z][a-z0-9-]*)/(?P<iface>\*|[a-z][a-z0-9-]*)"
    r"(?:@(?P<version>[0-9A-Za-z.+-]+))?)\Z"
)


class Interface(NamedTuple):
    namespace: str
    package: str
    name: str
    version: str  # "" when unversioned

    @property
    def text(self) -> str:
        base = f"{self.namespace}:{self.package}/{self.name}"
        return f"{base}@{self.version}" if self.version else base


def parse_interface(name: str) -> Interface | None:
    """``ns:pkg/iface[@version]`` as its parts; None for a plain (function) name."""
    match = _NAME.match(name)
    if not match:
        return None
    return Interface(match["ns"], match["pkg"], match["iface"], match["version"] or "")


def is_model_name(name: str) -> bool:
    """Whether ``name`` is a component-model import or export name (an interface or a plain name): the one rule for
    names read from a component file and from an image's config."""
    return _MODEL_NAME.match(name) is not None


def _semver(text: str) -> versions.Version | None:
    """A WIT version (``1.2.3``, ``0.2.0-draft``, build metadata ignored); None for anything else."""
    return versions.parse_version(text.split("+", 1)[0]) if text[:1].isdigit() else None


def compatible(wanted: str, offered: str) -> bool:
    """Whether an import of version ``wanted`` is satisfied by ``offered`` (the component model's semver rule).

    ``offered`` may be a track (``0.2``, ``1``): any version on it. Either side empty: any version.
    """
    if not wanted or not offered:
        return True
    mine = _semver(wanted)
    if mine is None:
        return wanted == offered
    if re.fullmatch(r"\d+(?:\.\d+)?", offered):  # a track, 1 or 0.2: any version on it, its prereleases too
        parts = tuple(int(part) for part in offered.split("."))
        return mine.core[: len(parts)] == parts
    theirs = _semver(offered)
    if theirs is None or mine.prerelease or theirs.prerelease:
        return wanted == offered  # a prerelease only matches itself
    for index in range(3):
        if mine.core[index] != 0 or theirs.core[index] != 0 or index == 2:
            return mine.core[: index + 1] == theirs.core[: index + 1]
    return False  # unreachable


class Pattern(NamedTuple):
    text: str
    namespace: str = "*"
    package: str = "*"
    name: str = "*"
    version: str = ""
    plain: str = ""  # a plain (function) name, matched exactly

    def matches(self, imported: str) -> bool:
        """Whether the import (or export) named ``imported`` is one this pattern names."""
        if self.plain:
            return imported == self.plain
        parsed = parse_interface(imported)
        if parsed is None:
            return self.namespace == "*" and self.package == "*" and self.name == "*" and not self.version
        return (
            self.namespace in ("*", parsed.namespace)
            and self.package in ("*", parsed.package)
            and self.name in ("*", parsed.name)
            and compatible(parsed.version, self.version)
        )


def parse_pattern(raw: str, *, input_name: str) -> Pattern:
    """One pattern of ``host-interfaces`` or ``deny-imports``; one clear error when it is none."""
    text = raw.strip()
    if text == "*":
        return Pattern(text)
    if re.fullmatch(r"[a-z][a-z0-9-]*", text):
        return Pattern(text, plain=text)
    match = _PATTERN.match(text)
    if match is None:
        raise ActionError(
            what=f"{input_name}: {text[:80]!r} is not an interface pattern",
            why="A pattern names interfaces: ns:pkg/iface@version, ns:pkg/iface, ns:pkg/*, ns:* or *.",
            fix=f"with:\n  {input_name}: |\n    wasi:keyvalue/store@0.2.0-draft\n    wasi:sockets/*",
            docs="#check",
        )
    if match["all"]:
        return Pattern(text, namespace=match["ns"])
    return Pattern(
        text,
        namespace=match["ns"],
        package=match["pkg"],
        name=match["iface"],
        version=match["version"] or "",
    )


def parse_patterns(lines: Iterable[str], *, input_name: str) -> tuple[Pattern, ...]:
    """Patterns one per line or comma-separated; blank entries and ``#`` comments skipped."""
    found: list[Pattern] = []
    for line in lines:
        for part in line.split("#", 1)[0].split(","):
            if part.strip():
                found.append(parse_pattern(part, input_name=input_name))
    return tuple(found)


# What a wasmCloud v2 host links for every component, from wasmCloud/wasmCloud (commit 7cd553cc5):
# crates/wash-runtime/src/engine/mod.rs (add_wasi_to_linker: wasi:io, filesystem, clocks, random, cli and
# sockets at 0.2 and 0.3; wasi:http types and outgoing-handler through wasmtime_wasi_http p2 and p3; wasi:tls
# 0.3), whatever the workload declares.
WASI_P2 = {
    "io": ("error", "poll", "streams"),
    "filesystem": ("types", "preopens"),
    "clocks": ("wall-clock", "monotonic-clock"),
    "random": ("random", "insecure", "insecure-seed"),
    "cli": (
        "exit",
        "environment",
        "stdin",
        "stdout",
        "stderr",
        "terminal-input",
        "terminal-output",
        "terminal-stdin",
        "terminal-stdout",
        "terminal-stderr",
    ),
    "sockets": (
        "tcp",
        "udp",
        "tcp-create-socket",
        "udp-create-socket",
        "instance-network",
        "network",
        "ip-name-lookup",
    ),
    "http": ("types", "outgoing-handler"),
}
ALWAYS: tuple[str, ...] = (
    *(f"wasi:{pkg}/{iface}@0.2" for pkg, names in WASI_P2.items() for iface in names),
    *(f"wasi:{pkg}/*@0.3" for pkg in ("cli", "clocks", "filesystem", "random", "sockets", "http", "tls")),
)


class Plugin(NamedTuple):
    """A host plugin as ``bind_plugins`` sees it: its id, its ``world()`` (the host interface entries it can
    serve, ``ns:pkg/a,b@version``) and what its ``on_workload_item_bind`` links into a component that declared
    one of its packages (the whole package, at the version of its bindings)."""

    id: str
    world: tuple[str, ...]
    links: tuple[str, ...]


# The plugins `wash host` registers by default (crates/wash/src/cli/host.rs, ClusterHostBuilder::with_plugin),
# each by its `fn world()` and `on_workload_item_bind` under crates/wash-runtime/src/plugin/: wasi_config
# (DynamicConfig), wasmcloud_secrets, wasi_logging (TracingLogger), wasi_blobstore/nats.rs,
# wasmcloud_messaging/nats.rs (consumer and types at 0.2.0, or 0.3.0 when the entry declares >= 0.3.0; the
# handler is an export the plugin calls), wasi_keyvalue/nats.rs. Bindings' versions from the WIT packages in
# crates/wash-runtime/tests/fixtures/p2-wit-deps/. Opt-in plugins (wasmcloud:postgres with --postgres-url,
# wasi:otel, wasi:webgpu, host component plugins) are not in the profile: list them in host-interfaces.
WASMCLOUD_PLUGINS: tuple[Plugin, ...] = (
    Plugin("wasi-config", ("wasi:config/store@0.2.0-rc.1",), ("wasi:config/store@0.2.0-rc.1",)),
    Plugin(
        "wasmcloud-secrets",
        ("wasmcloud:secrets/store,reveal@2.1.0", "wasmcloud:secrets/secret@2.1.0"),
        ("wasmcloud:secrets/store@2.1.0", "wasmcloud:secrets/reveal@2.1.0", "wasmcloud:secrets/secret@2.1.0"),
    ),
    Plugin("wasi-logging", ("wasi:logging/logging",), ("wasi:logging/logging@0.1.0-draft",)),
    Plugin(
        "wasi-blobstore",
        ("wasi:blobstore/blobstore,container,types@0.2.0-draft",),
        (
            "wasi:blobstore/blobstore@0.2.0-draft",
            "wasi:blobstore/container@0.2.0-draft",
            "wasi:blobstore/types@0.2.0-draft",
        ),
    ),
    Plugin(
        "wasmcloud-messaging",
        (
            "wasmcloud:messaging/consumer,types@0.2.0",
            "wasmcloud:messaging/consumer,types@0.3.0",
            "wasmcloud:messaging/handler@0.2.0",
            "wasmcloud:messaging/handler@0.3.0",
        ),
        ("wasmcloud:messaging/consumer@0.2.0", "wasmcloud:messaging/types@0.2.0"),
    ),
    Plugin(
        "wasi-keyvalue",
        ("wasi:keyvalue/store,atomics,batch",),
        ("wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/atomics@0.2.0-draft", "wasi:keyvalue/batch@0.2.0-draft"),
    ),
)
WASMCLOUD_PROFILE: tuple[str, ...] = (*ALWAYS, *(link for plugin in WASMCLOUD_PLUGINS for link in plugin.links))


def host_profile(host: str) -> tuple[Pattern, ...]:
    """The interfaces ``host`` provides: ``wasmcloud`` (a wasmCloud v2 host) or ``none``."""
    value = host.strip().lower() or "wasmcloud"
    if value == "none":
        return ()
    if value == "wasmcloud":
        return tuple(parse_pattern(text, input_name="host profile") for text in WASMCLOUD_PROFILE)
    raise ActionError(
        what=f"host: {host[:40]!r} is not wasmcloud or none",
        why="host names the interfaces the target host provides to the component.",
        fix="with:\n  host: wasmcloud   # a wasmCloud v2 host (default)\nor\nwith:\n  host: none\n"
        "  host-interfaces: wasi:cli/*@0.2",
        docs="#check",
    )
