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
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ActionError
from ..oci import references
from ..oci.references import ImageRef
from ..runner import paths
from ..workload import manifests, yaml_source

DOCS = "#deploy"
MAX_BYTES = 4 * yaml_source.MAX_CHARS  # UTF-8: at most 4 bytes a character
WORKLOAD_API = manifests.WORKLOAD_API
WORKLOAD_KINDS = manifests.WORKLOAD_KINDS
GLOB_CHARS = frozenset("*?[")
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
            ref = references.parse(parts[0], where=f"images line {number}")
            digest = references.check_digest(parts[1], where=f"images line {number}")
            if ref.digest and ref.digest != digest:
                raise _images_error(line, f"line {number} names two digests ({ref.digest} and {digest})")
            ref = ref.pinned(digest)
        elif len(parts) == 1:
            ref = references.parse(parts[0], where=f"images line {number}")
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
        what=f"images: {references.shown(line)} is not a pinned image",
        why=f"Each line of 'images' is one reference with its digest; {why}.",
        fix="with:\n  images: |\n    ghcr.io/my-org/my-component:1.2.0@sha256:<64 hex digits>\n"
        "    ${{ needs.release.outputs.image-ref }}",
        docs=DOCS,
    )


# -- which files --------------------------------------------------------------------------------------------


def manifest_files(patterns: tuple[str, ...], workspace: Path) -> list[Path]:
    """Every file the patterns name: a file, a directory (its ``*.yaml``/``*.yml``, recursively) or a glob,
    relative to the workspace and inside it (``paths.workspace_glob``: the one containment rule for globs); a
    pattern that names nothing is an error (a typo stays visible)."""
    fix = "with:\n  manifests: deploy/*.yaml"
    found: list[Path] = []
    for raw in patterns:
        pattern = raw.strip().replace("\\", "/").rstrip("/") or "."
        directory = not GLOB_CHARS & set(pattern) and (workspace / pattern).is_dir() and ".." not in pattern
        globs = [f"{pattern}/**/*.yaml", f"{pattern}/**/*.yml"] if directory else [pattern]
        matches = [
            match
            for glob in globs
            for match in paths.workspace_glob("manifests", glob.removeprefix("./"), workspace, fix=fix, docs=DOCS)
            if ".git" not in match.relative_to(workspace.resolve()).parts
        ]
        if not matches:
            raise ActionError(
                what=f"manifests: {raw!r} names no file",
                why=f"Nothing under {workspace} matches it.",
                fix="Check the path (relative to the workspace, e.g. deploy/*.yaml) and that the job checked out "
                "the repository that holds it.",
                docs=DOCS,
            )
        for match in sorted(matches):
            if match not in found:
                found.append(match)
    return found


def read_text(path: Path, shown: str) -> str:
    """The file as text, line endings untouched; one clear error for a huge or non-UTF-8 file."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise ActionError(
            what=f"{shown} is {len(data):,} bytes",
            why=f"promote reads manifests of at most {MAX_BYTES:,} bytes.",
            fix="Split the manifest, or leave this file out of manifests.",
            docs=DOCS,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ActionError(
            what=f"{shown} is not UTF-8",
            why=f"Byte {exc.start} cannot be decoded; Kubernetes manifests are UTF-8.",
            fix="Save the file as UTF-8.",
            docs=DOCS,
        ) from None


# -- reading a manifest ---------------------------------------------------------------------------------------


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def find_sites(text: str, path: str, *, name: str = "") -> tuple[list[Site], list[str]]:
    """The image sites of every document in ``text`` (``path`` for messages; ``name`` the file name, which
    marks a kustomization) and the documents of other kinds (``path: Kind name``). The caller has made PyYAML
    importable (``extras.ensure_yaml``); ``yaml_source`` refuses unsafe tags, alias bombs and oversized files."""
    source = yaml_source.load(text, name=path)
    sites: list[Site] = []
    skipped: list[str] = []
    seen: set[tuple[int, int]] = set()  # an alias is its anchor's scalar: one edit
    for document in source.documents:
        data = _mapping(document.data)
        kind, api = _text(data.get("kind")), _text(data.get("apiVersion"))
        title = f"{kind} {_text(_mapping(data.get('metadata')).get('name'))}".strip()
        found: list[tuple[yaml_source.Path_, str]] = []
        if kind in WORKLOAD_KINDS and api.startswith(WORKLOAD_API):
            base: yaml_source.Path_ = manifests.spec_path(kind)
            spec: dict[str, Any] = data
            for key in base:
                spec = _mapping(spec.get(str(key)))
            components = spec.get("components")
            for index, component in enumerate(components if isinstance(components, list) else []):
                label = _text(_mapping(component).get("name")) or str(index)
                found.append(((*base, "components", index, "image"), f"{title}: components[{label}].image"))
            found.append(((*base, "service", "image"), f"{title}: service.image"))
        elif kind == "Artifact" and api.startswith(WORKLOAD_API):
            found.append((("spec", "image"), f"{title}: spec.image"))
        elif kind == "Kustomization" or (not kind and name in KUSTOMIZATION_FILES and "images" in data):
            images = data.get("images")
            for index, entry in enumerate(images if isinstance(images, list) else []):
                sites += _kustomize_site(source, document, ("images", index), _mapping(entry), seen)
        else:
            skipped.append(f"{path}: {title or 'a document without kind'}")
        for where_path, where in found:
            sites += _image_site(source, document, where_path, where, seen)
    return sites, skipped


def _scalar_span(text: str, span: yaml_source.Span) -> tuple[int, int]:
    """The characters of the scalar itself: a node's span starts at its anchor or tag, when it has one."""
    properties = _PROPERTIES.match(text, span.start, span.end)
    return (properties.end() if properties else span.start), span.end


def _image_site(
    source: yaml_source.Source,
    document: yaml_source.Document,
    path: yaml_source.Path_,
    where: str,
    seen: set[tuple[int, int]],
) -> list[Site]:
    span = document.values.get(path)
    value = _get_path(document.data, path)
    if span is None or not isinstance(value, str) or (span.start, span.end) in seen:
        return []
    seen.add((span.start, span.end))
    if value.startswith("artifact://"):  # resolved through the WorkloadDeployment's artifacts: its Artifact
        return []
    _block(span, source.name)
    start, end = _scalar_span(source.text, span)
    ref = references.parse(value, where=f"{source.name}:{span.line} ({where})")
    return [Site(source.name, span.line, where, ref, start, end, span.style, False, "", "")]


def _get_path(data: Any, path: yaml_source.Path_) -> Any:
    for part in path:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def _block(span: yaml_source.Span, path: str) -> None:
    if span.style in ("|", ">"):
        raise ActionError(
            what=f"{path}:{span.line}: the image is a block scalar ({span.style})",
            why="promote rewrites an image in place and keeps the quoting; a block scalar for one reference is "
            "almost certainly a mistake.",
            fix="Write the image on one line:\nimage: ghcr.io/my-org/my-component:1.2.0",
            docs=DOCS,
        )


def _kustomize_site(
    source: yaml_source.Source,
    document: yaml_source.Document,
    path: yaml_source.Path_,
    entry: dict[str, Any],
    seen: set[tuple[int, int]],
) -> list[Site]:
    span = document.values.get(path)
    name = _text(entry.get("newName")) or _text(entry.get("name"))
    if span is None or not name or (span.start, span.end) in seen:
        return []
    seen.add((span.start, span.end))
    tag = _text(entry.get("newTag"))
    where = f"kustomization images[{_text(entry.get('name'))}]"
    shown = f"{source.name}:{span.line} ({where})"
    digest = _text(entry.get("digest"))
    if digest:
        references.check_digest(digest, where=shown)
    ref = references.parse(name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else ""), where=shown)
    digest_span = document.values.get((*path, "digest"))
    if digest_span is not None and digest:
        _block(digest_span, source.name)
        start, end = _scalar_span(source.text, digest_span)
        return [Site(source.name, span.line, where, ref, start, end, digest_span.style, True, "", "")]
    if digest_span is not None:  # digest: (empty) or a non-string: not a digest
        references.check_digest(str(entry.get("digest")), where=shown)
    if span.style == "{":  # {name: x, newTag: y}: add ", digest: …" before the closing brace
        close = source.text.rindex("}", span.start, span.end)
        return [Site(source.name, span.line, where, ref, close, close, "", True, ", digest: ", "")]
    children = [document.values[(*path, key)] for key in entry if (*path, key) in document.values]
    columns = [document.keys[(*path, key)].column for key in entry if (*path, key) in document.keys]
    last = max(child.end for child in children)
    eol = _line_end(source.text, last)
    text = source.text
    newline = "\r\n" if text.startswith("\r\n", eol) or (eol == len(text) and "\r\n" in text) else "\n"
    indent = " " * (min(columns) - 1)
    return [Site(source.name, span.line, where, ref, eol, eol, "", True, f"{newline}{indent}digest: ", "")]


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
