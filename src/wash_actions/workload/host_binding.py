"""How a wasmCloud v2 host binds a workload: each import to WASI, a sibling component or a declared plugin.

The rules are the host's, from wasmCloud/wasmCloud (commit 7cd553cc5):

- ``crates/wash-runtime/src/wit.rs``: a host interface entry is ``namespace:package/a,b@version`` (a set of
  interfaces, an optional exact semver version, an optional name). Two entries are of the same package when
  namespace and package agree and, where both carry a version, the versions are equal. A world *includes* an
  entry (``includes_bidirectional``) when every interface of the entry is imported or exported by it in that
  package.
- ``crates/wash-runtime/src/engine/workload.rs`` ``Workload::world``: a component's world groups its instance
  imports and exports by ``namespace:package@version``; ``bind_plugins``: the declared ``hostInterfaces``
  minus the wasi:http handler interfaces (the host serves those itself) are what a component *requires* when
  its world includes them, unless exactly one other component exports each of the entry's interfaces
  (``served_within_workload``); plugins, in id order, claim what their ``world()`` includes; a required entry
  no plugin claims fails the deploy: "workload component X requested interfaces that are not available on
  this host".
- each plugin's ``on_workload_item_bind`` links its **whole package** into the component, at its bindings'
  version (declaring ``wasi:blobstore`` ``[blobstore]`` also links ``container`` and ``types``); WASI and
  wasi:http's types and outgoing-handler are linked for every component (``engine/mod.rs``); an import of
  another component's export is linked by its exact name. Anything else fails at link time.

:func:`bind` applies them to a workload's components and returns, per import, who provides it, and the
problems: errors the host would fail the deploy with, warnings for what deploys but does not work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..component import interfaces
from ..errors import ActionError

_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z")
HTTP_HANDLERS = frozenset({"incoming-handler", "outgoing-handler", "handler"})


class Entry(NamedTuple):
    """A host interface entry (the host's ``WitInterface``): one package, a set of its interfaces."""

    namespace: str
    package: str
    interfaces: frozenset[str]
    version: str = ""  # "" when absent or not semver (the host parses it with semver and drops a failure)
    name: str = ""

    @property
    def text(self) -> str:
        """``ns:pkg [name]/a,b@version``, as the host prints it (interfaces sorted)."""
        named = f" [{self.name}]" if self.name else ""
        listed = "/" + ",".join(sorted(self.interfaces)) if self.interfaces else ""
        version = f"@{self.version}" if self.version else ""
        return f"{self.namespace}:{self.package}{named}{listed}{version}"

    def same_package(self, other: Entry) -> bool:
        """Namespace and package agree, and versions where both have one."""
        if (self.namespace, self.package) != (other.namespace, other.package):
            return False
        return not (self.version and other.version and self.version != other.version)


def host_version(raw: str) -> str:
    """The version as the host keeps it: a semver version, else none (``0.2`` is no version to the host)."""
    text = raw.strip()
    return text if _SEMVER.match(text) else ""


def entry(text: str, *, name: str = "") -> Entry:
    """``ns:pkg/a,b@version`` (the host's ``WitInterface::from``)."""
    main, _, version = text.partition("@")
    package_part, _, listed = main.partition("/")
    namespace, _, package = package_part.rpartition(":")
    names = frozenset(part.strip() for part in listed.split(",") if part.strip())
    return Entry(namespace, package, names, host_version(version), name)


class World(NamedTuple):
    """A component's world as the host groups it: instance imports and exports by package and version."""

    imports: tuple[Entry, ...]
    exports: tuple[Entry, ...]

    def includes(self, wanted: Entry) -> bool:
        """``includes_bidirectional``: every interface of ``wanted`` is imported or exported in its package."""
        return all(
            any(wanted.same_package(have) and interface in have.interfaces for have in (*self.imports, *self.exports))
            for interface in wanted.interfaces
        )


def grouped(names: Iterable[str]) -> tuple[Entry, ...]:
    """Interface names merged per ``namespace:package@version`` (plain function names are not instances)."""
    merged: dict[tuple[str, str, str], set[str]] = {}
    for name in names:
        parsed = interfaces.parse_interface(name)
        if parsed is None:
            continue
        key = (parsed.namespace, parsed.package, host_version(parsed.version))
        merged.setdefault(key, set()).add(parsed.name)
    return tuple(Entry(ns, pkg, frozenset(found), version) for (ns, pkg, version), found in merged.items())


class Plugin(NamedTuple):
    """A plugin of the target host: what it can serve (its world) and what it links (patterns)."""

    id: str
    world: World
    links: tuple[interfaces.Pattern, ...]
    async_links: tuple[interfaces.Pattern, ...] = ()  # wasmcloud-messaging: an entry at >= 0.3.0 links these


def plugins_for(host: str, extra: Sequence[interfaces.Pattern]) -> tuple[Plugin, ...]:
    """The target host's plugins in id order: the ``wasmcloud`` profile's (``none``: no plugin), then one for
    ``host-interfaces`` (what the user says the host also serves)."""
    found: list[Plugin] = []
    if host == "wasmcloud":
        for plugin in interfaces.WASMCLOUD_PLUGINS:
            world = World(tuple(entry(text) for text in plugin.world), ())
            links = tuple(interfaces.parse_pattern(text, input_name="host profile") for text in plugin.links)
            later = tuple(
                interfaces.parse_pattern(text.replace("@0.2.0", "@0.3.0"), input_name="host profile")
                for text in plugin.links
                if plugin.id == "wasmcloud-messaging"
            )
            found.append(Plugin(plugin.id, world, links, later))
    found.sort(key=lambda plugin: plugin.id)
    if extra:
        found.append(Plugin("host-interfaces", World((), ()), tuple(extra)))
    return tuple(found)


def _claims(plugin: Plugin, wanted: Entry) -> bool:
    if plugin.id == "host-interfaces":  # patterns: every interface of the entry named by one
        version = f"@{wanted.version}" if wanted.version else ""
        return bool(wanted.interfaces) and all(
            any(p.matches(f"{wanted.namespace}:{wanted.package}/{i}{version}") for p in plugin.links)
            for i in wanted.interfaces
        )
    if wanted.name and wanted.name != plugin.id and wanted.name in _PLUGIN_IDS:
        return False
    return plugin.world.includes(wanted)


_PLUGIN_IDS = frozenset(plugin.id for plugin in interfaces.WASMCLOUD_PLUGINS)


def _links(plugin: Plugin, declared: Entry, imported: str) -> bool:
    if plugin.id == "host-interfaces":
        return any(p.matches(imported) for p in plugin.links)
    asynchronous = declared.version and tuple(int(x) for x in declared.version.split("-")[0].split(".")[:2]) >= (0, 3)
    patterns = plugin.async_links if asynchronous and plugin.async_links else plugin.links
    return any(p.matches(imported) for p in patterns)


class Member(NamedTuple):
    """One component of the workload: its name in the manifest and its world's names."""

    name: str
    imports: tuple[str, ...]  # every import's name (instances and plain functions)
    exports: tuple[str, ...]
    allowed_hosts: tuple[str, ...] | None  # localResources.allowedHosts; None when absent
    line: int  # of the component's entry in the manifest

    @property
    def world(self) -> World:
        """The host's view of this component's world."""
        return World(grouped(self.imports), grouped(self.exports))


class Declared(NamedTuple):
    """A ``hostInterfaces`` entry of the manifest, with its index and line."""

    entry: Entry
    position: int  # in hostInterfaces[]
    line: int


class Binding(NamedTuple):
    """Who provides one import of one component: ``kind`` is wasi, component, plugin, or "" (nobody)."""

    component: str
    imported: str
    kind: str
    provider: str  # "host (WASI)", "component kv", "hostInterfaces[1] wasi:blobstore (wasi-blobstore)", ""


class Problem(NamedTuple):
    """What the host would refuse (``error``) or what deploys but does not work (``warning``)."""

    severity: str
    line: int
    what: str
    why: str
    fix: str

    def error(self, where: str) -> ActionError:
        """This problem as the one error type, ``where`` naming the manifest."""
        return ActionError(what=f"{where}:{self.line}: {self.what}", why=self.why, fix=self.fix, docs="#workloads")


def _is_http_handler(wanted: Entry) -> bool:
    return (wanted.namespace, wanted.package) == ("wasi", "http") and wanted.interfaces <= HTTP_HANDLERS


def _served_within(wanted: Entry, member: Member, members: Sequence[Member]) -> bool:
    """The host's ``served_within_workload``: each interface of the entry imported here, exported by exactly one
    other component."""
    if not wanted.interfaces:
        return False
    world = member.world
    for interface in wanted.interfaces:
        if not any(wanted.same_package(im) and interface in im.interfaces for im in world.imports):
            return False
        exporters = [
            other
            for other in members
            if other.name != member.name
            and any(wanted.same_package(ex) and interface in ex.interfaces for ex in other.world.exports)
        ]
        if len(exporters) != 1:
            return False
    return True


def _snippet(imported: str) -> str:
    parsed = interfaces.parse_interface(imported)
    if parsed is None:
        return ""
    version = f"\n    version: {parsed.version}" if parsed.version else ""
    return (
        f"hostInterfaces:\n  - namespace: {parsed.namespace}\n    package: {parsed.package}{version}\n"
        f"    interfaces:\n      - {parsed.name}"
    )


def bind(
    members: Sequence[Member],
    declared: Sequence[Declared],
    plugins: Sequence[Plugin],
    *,
    always: Sequence[interfaces.Pattern],
    host: str,
) -> tuple[list[Binding], list[Problem]]:
    """Every import of every component bound as the host binds it, and the problems in manifest order."""
    problems: list[Problem] = []
    bound: dict[str, list[tuple[Declared, Plugin]]] = {m.name: [] for m in members}
    missing: dict[str, list[Entry]] = {m.name: [] for m in members}  # reported once, as the host fails first
    used: set[int] = set()
    for member in members:
        world = member.world
        for item in declared:
            wanted = item.entry
            if _is_http_handler(wanted) or not world.includes(wanted):
                continue
            used.add(item.position)
            if _served_within(wanted, member, members):
                continue
            plugin = next((p for p in plugins if _claims(p, wanted)), None)
            if plugin is None:
                missing[member.name].append(wanted)
                problems.append(
                    Problem(
                        "error",
                        item.line,
                        f"component {member.name} requested interfaces that are not available on this host: "
                        f"{wanted.text} (hostInterfaces[{item.position}])",
                        f"The target host ({host}) has no plugin that serves {wanted.text}; the host refuses the "
                        "workload when it binds it (bind_plugins), after the operator has placed it.",
                        "Deploy to a host that has the plugin and say so, or fix the entry's package, interfaces "
                        f"or version:\nwith:\n  host-interfaces: {wanted.namespace}:{wanted.package}/*",
                    )
                )
                continue
            bound[member.name].append((item, plugin))
    for item in declared:
        if item.position not in used and not _is_http_handler(item.entry):
            problems.append(
                Problem(
                    "warning",
                    item.line,
                    f"hostInterfaces[{item.position}] {item.entry.text} is used by no component of the workload",
                    "No component imports or exports every interface it lists, so the host binds it to nothing.",
                    "Remove the entry, or list the interfaces the components use.",
                )
            )
    exporters: dict[str, list[str]] = {}
    for member in members:
        for exported in dict.fromkeys(member.exports):
            exporters.setdefault(exported, []).append(member.name)
    depends: dict[str, set[str]] = {member.name: set() for member in members}
    bindings: list[Binding] = []
    for member in members:
        unresolved: list[str] = []
        for imported in member.imports:
            if len(exporters.get(imported, ())) > 1 and "/" in imported:  # resolve_workload_imports refuses it
                bindings.append(Binding(member.name, imported, "", ""))
                problems.append(
                    Problem(
                        "error",
                        member.line,
                        f"component {member.name} imports {imported}, which {len(exporters[imported])} components of "
                        f"the workload export ({', '.join(exporters[imported])})",
                        "The host links a sibling's export by its exact name and cannot choose between two "
                        "exporters; it fails the workload (resolve_workload_imports).",
                        "Keep one exporter of the interface in the workload, or split the workload in two.",
                    )
                )
                continue
            if any(p.matches(imported) for p in always):
                bindings.append(Binding(member.name, imported, "wasi", "host (WASI)"))
                continue
            sibling = next((o for o in members if o.name != member.name and imported in o.exports), None)
            if sibling is not None:
                bindings.append(Binding(member.name, imported, "component", f"component {sibling.name}"))
                depends[member.name].add(sibling.name)
                continue
            parsed = entry(imported) if interfaces.parse_interface(imported) else None
            hit = None
            if parsed is not None:
                hit = next(
                    (
                        (item, plugin)
                        for item, plugin in bound[member.name]
                        if item.entry.same_package(parsed) and _links(plugin, item.entry, imported)
                    ),
                    None,
                )
            if hit is not None:
                item, plugin = hit
                bindings.append(
                    Binding(
                        member.name,
                        imported,
                        "plugin",
                        f"hostInterfaces[{item.position}] {item.entry.namespace}:{item.entry.package} ({plugin.id})",
                    )
                )
                continue
            bindings.append(Binding(member.name, imported, "", ""))
            if parsed is None or not any(gone.same_package(parsed) for gone in missing[member.name]):
                unresolved.append(imported)
        if unresolved:
            snippet = _snippet(unresolved[0])
            problems.append(
                Problem(
                    "error",
                    member.line,
                    f"component {member.name} imports {len(unresolved)} interface{'s' if len(unresolved) > 1 else ''}"
                    f" nothing in the workload provides: {', '.join(unresolved)}",
                    "The host links WASI, another component's exports (by exact name) and the packages of the "
                    "hostInterfaces entries this component uses; it fails the workload at link time otherwise.",
                    "Declare the host interface in the workload (the target host must have its plugin), or add the "
                    "component that exports it to components:\n" + (snippet or "components:\n  - name: provider"),
                )
            )
        outbound = any(name.startswith("wasi:http/outgoing-handler") for name in member.imports)
        if outbound and not member.allowed_hosts:
            problems.append(
                Problem(
                    "warning",
                    member.line,
                    f"component {member.name} imports wasi:http/outgoing-handler but its localResources.allowedHosts "
                    f"is {'empty' if member.allowed_hosts is not None else 'missing'}",
                    "In the cluster an empty or missing allowedHosts denies every outgoing request (wash dev allows "
                    "all), so each outbound call fails.",
                    'List the hosts it calls (or "*" for any):\ncomponents:\n  - name: '
                    f"{member.name}\n    localResources:\n      allowedHosts:\n        - api.example.com",
                )
            )
    cycle = _cycle(depends)
    if cycle:
        first = next(m for m in members if m.name == cycle[0])
        problems.append(
            Problem(
                "error",
                first.line,
                f"components {' → '.join([*cycle, cycle[0]])} import from each other in a circle",
                "The host links a workload's components exporters first (a topological order); a circle has none "
                "and the host refuses the workload.",
                "Break the circle: move the shared interface into one component, or into a host plugin.",
            )
        )
    problems.sort(key=lambda p: p.line)
    return bindings, problems


def _cycle(depends: dict[str, set[str]]) -> list[str]:
    """A circle of components importing from each other (in the order found), or []."""
    done: set[str] = set()
    for start in depends:
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(depends[start]))]
        on_path = {start}
        path.append(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                on_path.discard(node)
                path.pop()
                done.add(node)
                continue
            nxt = todo.pop(0)
            if nxt in on_path:
                return path[path.index(nxt) :]
            if nxt in done:
                continue
            on_path.add(nxt)
            path.append(nxt)
            stack.append((nxt, sorted(depends.get(nxt, ()))))
    return []


class Resolution(NamedTuple):
    """Who provides one import of a component checked on its own (no manifest)."""

    name: str
    provider: str  # "host (wasmcloud)", "host-interfaces (pattern)", "workload: file", "" (unresolved)
    denied: str = ""  # the deny-imports pattern that names it


def _exports(exported: str, imported: str) -> bool:
    """An export satisfies an import: the same interface, semver-compatible (the component model's rule)."""
    mine, theirs = interfaces.parse_interface(imported), interfaces.parse_interface(exported)
    if mine is None or theirs is None:
        return False
    same = (mine.namespace, mine.package, mine.name) == (theirs.namespace, theirs.package, theirs.name)
    return same and interfaces.compatible(mine.version, theirs.version)


def resolve_imports(
    imports: Sequence[str],
    *,
    host: str,
    host_patterns: Sequence[interfaces.Pattern],
    extra: Sequence[interfaces.Pattern],
    deny: Sequence[interfaces.Pattern],
    workload: Sequence[tuple[str, Sequence[str]]],
) -> list[Resolution]:
    """A component on its own: each import provided by the host profile, ``host-interfaces``, a component
    file of ``workload`` (label, exports), or nobody; and the ``deny-imports`` pattern that names it."""
    results = []
    for name in imports:
        denied = next((p.text for p in deny if p.matches(name)), "")
        provider = ""
        if any(p.matches(name) for p in host_patterns):
            provider = f"host ({host})"
        elif hit := next((p for p in extra if p.matches(name)), None):
            provider = f"host-interfaces ({hit.text})"
        else:
            provider = next(
                (f"workload: {label}" for label, exports in workload if any(_exports(e, name) for e in exports)), ""
            )
        results.append(Resolution(name, provider, denied))
    return results
