"""Pin image digests into Kubernetes manifests, changing only the image scalars.

Where an image sits (wasmCloud's runtime operator, ``runtime-operator/api/runtime/v1alpha1/*_types.go``):

- ``Workload``: ``spec.components[].image`` and ``spec.service.image``;
- ``WorkloadReplicaSet`` and ``WorkloadDeployment``: the same under ``spec.template.spec``;
- ``Artifact``: ``spec.image``;
- a kustomization (``kind: Kustomization`` or a file named ``kustomization.yaml``): ``images[]`` entries, whose
  ``digest`` is set (or added, the only key this module ever adds) for the entry's ``newName`` or ``name``.

Positions come from a real YAML parser (the composer's marks); an edit replaces exactly the characters of one
scalar (keeping its quoting) or inserts one ``digest:`` entry, so every other byte (comments, order, anchors,
line endings, other documents) stays as it was. The edited text is parsed again and each edited scalar must read
back as intended, else nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from . import image_refs
from .errors import ActionError
from .image_refs import ImageRef

Node = Any  # PyYAML's composer nodes (yaml.nodes); PyYAML ships no type information
ScalarNode = Any

DOCS = "#deploy"
MAX_BYTES = 16 * 1024 * 1024
WORKLOAD_API = "runtime.wasmcloud.dev/"
WORKLOAD_KINDS = ("Workload", "WorkloadReplicaSet", "WorkloadDeployment")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PROPERTIES = re.compile(r"(?:[&!][^\s]*\s+)+")


class Site(NamedTuple):
    """One image in a manifest: where its scalar is and what it names."""

    path: str  # as shown to the user
    line: int  # 1-based
    where: str  # "WorkloadDeployment hello: components[hello-world].image"
    ref: ImageRef  # for a kustomize entry: newName (or name), newTag and digest
    start: int  # the scalar's characters: text[start:end] (quotes included); for a missing digest, start == end
    end: int
    quote: str  # "", "'" or '"'
    digest_only: bool  # a kustomize entry: the scalar is its digest (or the place to add one)
    add_prefix: str  # for a missing kustomize digest: what goes before "digest: …" at ``start``
    add_suffix: str


class Change(NamedTuple):
    """What promoting one site does; ``old == new`` means it is up to date."""

    site: Site
    old: str
    new: str
    source: ImageRef  # the line of ``images`` it came from


class Plan(NamedTuple):
    changes: list[Change]
    not_promoted: list[Site]  # images in the manifests that ``images`` does not name
    skipped: list[str]  # documents of other kinds: "path: kind name"


# -- the images input ---------------------------------------------------------------------------------------


def parse_images(text: str) -> dict[str, list[ImageRef]]:
    """``images``: one pinned reference a line (``repo:tag@sha256:…``, verify's ``pinned``, publish's
    ``image-ref``), or ``reference digest`` separated by spaces; a JSON list of such strings is read too.
    Returns the references by repository (:attr:`ImageRef.key`)."""
    import json

    lines: list[str]
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            loaded = json.loads(stripped)
        except ValueError as exc:
            raise _images_error(stripped[:80], f"it starts with '[' but is not a JSON list ({exc})") from None
        if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
            raise _images_error(stripped[:80], "a JSON value here is a list of strings")
        lines = loaded
    else:
        lines = stripped.splitlines()
    found: dict[str, list[ImageRef]] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) == 2:
            ref = image_refs.parse(parts[0], where=f"images line {number}")
            digest = image_refs.check_digest(parts[1], where=f"images line {number}")
            if ref.digest and ref.digest != digest:
                raise _images_error(line, f"line {number} names two digests ({ref.digest} and {digest})")
            ref = ref.pinned(digest)
        elif len(parts) == 1:
            ref = image_refs.parse(parts[0], where=f"images line {number}")
        else:
            raise _images_error(line, f"line {number} has {len(parts)} words")
        if not ref.digest:
            raise _images_error(line, f"line {number} has no digest; promote pins digests, never tags")
        known = found.setdefault(ref.key, [])
        if any(other.tag == ref.tag and other.digest != ref.digest for other in known):
            raise _images_error(line, f"{ref.name}:{ref.tag or '(no tag)'} is given two different digests")
        if ref not in known:
            known.append(ref)
    return found


def _images_error(line: str, why: str) -> ActionError:
    return ActionError(
        what=f"images: {image_refs.shown(line)} is not a pinned image",
        why=f"Each line of 'images' is one reference with its digest; {why}.",
        fix="with:\n  images: |\n    ghcr.io/my-org/my-component:1.2.0@sha256:<64 hex digits>\n"
        "    ${{ needs.release.outputs.image-ref }}",
        docs=DOCS,
    )


# -- reading a manifest ---------------------------------------------------------------------------------------


def compose_all(text: str, path: str) -> list[Node]:
    """Every document's node tree, with marks; one clear error for text that is not YAML. Tags are kept as
    written and never constructed (nothing runs), and aliases stay references (an alias bomb costs nothing)."""
    import yaml  # type: ignore[import-untyped]  # no stubs; loaded only by steps that read manifests

    try:
        return [node for node in yaml.compose_all(text, Loader=yaml.SafeLoader) if node is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ActionError(
            what=f"{path}{line} is not valid YAML",
            why=f"{exc.problem or exc.context}.",
            fix="Fix the file (kubectl apply --dry-run=client -f FILE shows the same problem).",
            docs=DOCS,
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ActionError(
            what=f"{path} cannot be read as YAML",
            why=f"{type(exc).__name__}: {str(exc)[:300]}",
            fix="Fix the file (kubectl apply --dry-run=client -f FILE shows the same problem).",
            docs=DOCS,
        ) from None


def _get(node: Node | None, key: str) -> Node | None:
    if node is None or node.id != "mapping":
        return None
    for key_node, value in node.value:
        if key_node.id == "scalar" and key_node.value == key:
            return value
    return None


def _scalar(node: Node | None) -> str:
    return str(node.value) if node is not None and node.id == "scalar" else ""


def _span(text: str, node: ScalarNode) -> tuple[int, int]:
    """The characters of the scalar itself: the composer's start mark is that of its anchor or tag."""
    start, end = node.start_mark.index, node.end_mark.index
    properties = _PROPERTIES.match(text, start, end)
    return (properties.end() if properties else start), end


def _quote(text: str, start: int) -> str:
    return text[start] if text[start] in "'\"" else ""


def find_sites(text: str, path: str, *, name: str = "") -> tuple[list[Site], list[str]]:
    """The image sites of every document in ``text`` (``path`` for messages; ``name`` the file name, which
    marks a kustomization) and the documents of other kinds (``path: Kind name``)."""
    sites: list[Site] = []
    skipped: list[str] = []
    seen: set[int] = set()
    for document in compose_all(text, path):
        kind = _scalar(_get(document, "kind"))
        api = _scalar(_get(document, "apiVersion"))
        title = f"{kind} {_scalar(_get(_get(document, 'metadata'), 'name'))}".strip()
        if kind in WORKLOAD_KINDS and api.startswith(WORKLOAD_API):
            spec = _get(document, "spec")
            if kind != "Workload":
                spec = _get(_get(spec, "template"), "spec")
            components = _get(spec, "components")
            for index, component in enumerate(
                components.value if components is not None and components.id == "sequence" else []
            ):
                label = _scalar(_get(component, "name")) or str(index)
                sites += _image_site(text, path, _get(component, "image"), f"{title}: components[{label}].image", seen)
            sites += _image_site(text, path, _get(_get(spec, "service"), "image"), f"{title}: service.image", seen)
        elif kind == "Artifact" and api.startswith(WORKLOAD_API):
            sites += _image_site(text, path, _get(_get(document, "spec"), "image"), f"{title}: spec.image", seen)
        elif kind == "Kustomization" or (not kind and name in KUSTOMIZATION_FILES):
            images = _get(document, "images")
            for entry in images.value if images is not None and images.id == "sequence" else []:
                sites += _kustomize_site(text, path, entry, seen)
        else:
            skipped.append(f"{path}: {title or 'a document without kind'}")
    return sites, skipped


def _image_site(text: str, path: str, node: Node | None, where: str, seen: set[int]) -> list[Site]:
    if node is None or node.id != "scalar" or id(node) in seen:
        return []
    seen.add(id(node))
    line = node.start_mark.line + 1
    value = str(node.value)
    if value.startswith("artifact://"):  # resolved through the WorkloadDeployment's artifacts: its Artifact
        return []
    _block(node, path, line)
    start, end = _span(text, node)
    ref = image_refs.parse(value, where=f"{path}:{line} ({where})")
    return [Site(path, line, where, ref, start, end, _quote(text, start), False, "", "")]


def _block(node: ScalarNode, path: str, line: int) -> None:
    if node.style in ("|", ">"):
        raise ActionError(
            what=f"{path}:{line}: the image is a block scalar ({node.style})",
            why="promote rewrites an image in place and keeps the quoting; a block scalar for one reference is "
            "almost certainly a mistake.",
            fix="Write the image on one line:\nimage: ghcr.io/my-org/my-component:1.2.0",
            docs=DOCS,
        )


def _kustomize_site(text: str, path: str, entry: Node, seen: set[int]) -> list[Site]:
    if entry.id != "mapping" or id(entry) in seen:
        return []
    seen.add(id(entry))
    name = _scalar(_get(entry, "newName")) or _scalar(_get(entry, "name"))
    if not name:
        return []
    line = entry.start_mark.line + 1
    tag = _scalar(_get(entry, "newTag"))
    digest_node = _get(entry, "digest")
    where = f"kustomization images[{_scalar(_get(entry, 'name'))}]"
    shown = f"{path}:{line} ({where})"
    digest = _scalar(digest_node)
    if digest:
        image_refs.check_digest(digest, where=shown)
    ref = image_refs.parse(name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else ""), where=shown)
    if digest_node is not None and digest_node.id == "scalar":
        _block(digest_node, path, digest_node.start_mark.line + 1)
        start, end = _span(text, digest_node)
        return [Site(path, line, where, ref, start, end, _quote(text, start), True, "", "")]
    if entry.flow_style:  # {name: x, newTag: y}: add ", digest: …" before the closing brace
        close = entry.end_mark.index - 1
        return [Site(path, line, where, ref, close, close, "", True, ", digest: ", "")]
    last = entry.value[-1][1]
    eol = _line_end(text, last.end_mark.index)
    newline = "\r\n" if text.startswith("\r\n", eol) or (eol == len(text) and "\r\n" in text) else "\n"
    indent = " " * entry.value[0][0].start_mark.column
    return [Site(path, line, where, ref, eol, eol, "", True, f"{newline}{indent}digest: ", "")]


def _line_end(text: str, index: int) -> int:
    for position in range(index, len(text)):
        if text[position] in "\r\n":
            return position
    return len(text)


# -- deciding and editing -------------------------------------------------------------------------------------


def plan(sites: Iterable[Site], images: dict[str, list[ImageRef]], skipped: list[str] | None = None) -> Plan:
    """What promoting ``images`` changes at each site: the tag of the ``images`` line (or the manifest's own
    when the line has none) beside the line's digest."""
    changes: list[Change] = []
    left: list[Site] = []
    for site in sites:
        candidates = images.get(site.ref.key, [])
        source = _choose(site, candidates)
        if source is None:
            left.append(site)
            continue
        if site.digest_only:
            changes.append(Change(site, site.ref.digest, source.digest, source))
        else:
            changes.append(Change(site, str(site.ref), str(site.ref.pinned(source.digest, source.tag)), source))
    return Plan(changes, left, list(skipped or []))


def _choose(site: Site, candidates: list[ImageRef]) -> ImageRef | None:
    if not candidates:
        return None
    same_tag = [c for c in candidates if c.tag and c.tag == site.ref.tag]
    if len(same_tag) == 1:
        return same_tag[0]
    if len(candidates) == 1:
        return candidates[0]
    raise ActionError(
        what=f"{site.path}:{site.line}: {site.ref} matches {len(candidates)} lines of images",
        why="images names this repository with several tags ("
        + ", ".join(str(c) for c in candidates)
        + f"), and none has the manifest's tag {site.ref.tag or '(none)'}.",
        fix="Give one line per repository in images, or tag the manifest's image as one of them.",
        docs=DOCS,
    )


def _render(change: Change) -> str:
    site = change.site
    if site.start == site.end:  # a kustomize entry without digest
        return f"{site.add_prefix}{change.new}{site.add_suffix}"
    return f"{site.quote}{change.new}{site.quote}"


def apply(text: str, changes: Iterable[Change]) -> str:
    """``text`` with every change that is not up to date made (none overlap: one per scalar)."""
    edits = sorted((c for c in changes if c.old != c.new), key=lambda c: c.site.start)
    out: list[str] = []
    position = 0
    for change in edits:
        out += [text[position : change.site.start], _render(change)]
        position = change.site.end
    out.append(text[position:])
    return "".join(out)


def check_applied(new_text: str, path: str, name: str, changes: list[Change]) -> None:
    """Parse the edited text again: every image must read back as planned (the same sites, in order)."""
    before = [c.site for c in changes]
    after, _ = find_sites(new_text, path, name=name)
    expected = {(s.where, str(s.ref)) for s in after}
    wanted = {(c.site.where, str(c.site.ref.pinned(c.new)) if c.site.digest_only else c.new) for c in changes}
    missing = wanted - expected
    if missing or len(after) < len(before):
        raise ActionError(
            what=f"{path}: the edited file does not read back as planned",
            why="After the edit, the parser reads " + ", ".join(sorted(f"{w}" for w, _ in missing)) + " differently.",
            fix="Please open an issue with the manifest; nothing was written.",
            docs=DOCS,
        )


def changed(changes: Iterable[Change]) -> Iterator[Change]:
    """The changes that edit something."""
    return (c for c in changes if c.old != c.new)
