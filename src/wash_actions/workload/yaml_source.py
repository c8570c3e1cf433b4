"""YAML files read safely, document by document, with where every value came from.

A real parser (PyYAML, the version ``requirements/yaml.txt`` pins; the command calls ``extras.ensure_yaml()``
before the first :func:`load`), with ``safe_load`` semantics and bounds a hostile file cannot get past:

- no tag is executed: only the YAML core schema's tags construct values (``!!python/object``, local tags and
  the non-JSON ``!!binary``, ``!!set``, ``!!omap``, ``!!pairs`` are refused; a timestamp stays the string it
  is written as, as Kubernetes reads it);
- at most :data:`MAX_CHARS` characters, :data:`MAX_DOCUMENTS` documents, :data:`MAX_DEPTH` levels of nesting and
  :data:`MAX_NODES` values per file *counting each alias as the values it stands for* (a "billion laughs"
  file is refused after a few hundred events, not expanded); an alias to a node that is not complete yet
  (a recursive structure) and a mapping key defined twice (as the API server's YAML reader refuses) are
  errors;
- the composer is iterative (no recursion on deep nesting).

Every value has its :class:`Span`: 1-based line and column and the ``[start, end)`` character offsets of the
node in :attr:`Source.text` (for a quoted scalar the quotes are inside the span, for a block scalar its ``|``
or ``>`` indicator), and its style, so that a caller can replace one scalar in place and keep the rest of the
file byte for byte::

    source = yaml_source.load(text, name="deploy/workload.yaml")
    for document in source.documents:
        span = document.values[("spec", "template", "spec", "components", 0, "image")]
        edited = source.text[: span.start] + '"ghcr.io/org/app@sha256:…"' + source.text[span.end :]

Paths are tuples of mapping keys (strings) and sequence indexes. Merge keys (``<<``) are applied as PyYAML's
safe loader applies them; a merged value keeps the span of where it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ActionError

MAX_CHARS = 4 * 1024 * 1024  # a Kubernetes object is at most ~1.5 MiB in etcd; a manifest file a few of them
MAX_DOCUMENTS = 1000
MAX_DEPTH = 64
MAX_NODES = 200_000  # per file, aliases expanded

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_REFUSED = ("binary", "set", "omap", "pairs")

Path_ = tuple[str | int, ...]


class Span(NamedTuple):
    """Where a node is written: 1-based ``line`` and ``column``, ``[start, end)`` offsets into the text."""

    line: int
    column: int
    start: int
    end: int
    style: str  # scalars: "" (plain), "'", '"', "|", ">"; collections: "" (block), "[" or "{" (flow)


class Document(NamedTuple):
    """One document of a file: its data (dicts, lists, str, int, float, bool, None) and its spans."""

    number: int  # 0-based position in the file
    data: Any
    span: Span
    values: dict[Path_, Span]  # path -> the value's node
    keys: dict[Path_, Span]  # path -> the mapping key's node (paths that end in a key)

    def line(self, *path: str | int) -> int:
        """The line of the value at ``path``, or of its closest enclosing value written in the file."""
        for end in range(len(path), -1, -1):
            span = self.values.get(path[:end])
            if span is not None:
                return span.line
        return self.span.line


class Source(NamedTuple):
    """A YAML file: its name (for messages), its text and its documents in order."""

    name: str
    text: str
    documents: tuple[Document, ...]


def _refuse(name: str, mark: Any, what: str, why: str) -> ActionError:
    where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
    return ActionError(
        what=f"{where}: {what}",
        why=why,
        fix="Fix the file at that line; manifests are plain YAML (mappings, lists, strings, numbers), one "
        "Kubernetes object per document.",
        docs="#check",
    )


def read_file(path: Path, *, name: str) -> Source:
    """Read and :func:`load` ``path`` (UTF-8), refusing a file over the size bound before reading it whole."""
    try:
        size = path.stat().st_size
        if size > MAX_CHARS * 4:
            raise _refuse(name, None, f"is {size:,} bytes", f"A manifest file is read up to {MAX_CHARS:,} characters.")
        raw = path.read_bytes()
    except OSError as exc:
        raise ActionError(
            what=f"{name} cannot be read",
            why=f"{exc.strerror or exc}.",
            fix="Check the path (relative to the workspace) and that the file is checked out.",
            docs="#check",
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ActionError(
            what=f"{name}:{line}: is not UTF-8 text",
            why=f"Byte {exc.start} ({raw[exc.start : exc.start + 1]!r}) is not UTF-8; Kubernetes manifests are UTF-8.",
            fix="Save the file as UTF-8.",
            docs="#check",
        ) from None
    return load(text, name=name)


def load(text: str, *, name: str) -> Source:
    """Every document of ``text`` with its data and spans; one ActionError (with the line) for anything unsafe,
    malformed or over a bound."""
    if len(text) > MAX_CHARS:
        raise _refuse(name, None, f"is {len(text):,} characters", f"A manifest file is read up to {MAX_CHARS:,}.")
    try:
        import yaml
    except ImportError:  # pragma: no cover - the command installs it first
        raise ActionError(
            what="PyYAML is not available to this step",
            why="Reading manifests needs PyYAML, installed on first use (extras.ensure_yaml).",
            fix="Run the action through its action.yml (uses: OWNER/wash-actions/...@v1).",
            docs="#check",
        ) from None
    try:
        nodes = _compose(yaml, text, name)
        documents = tuple(_document(yaml, index, node, name) for index, node in enumerate(nodes))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _refuse(
            name, mark, "is not valid YAML", f"{exc.context or ''} {exc.problem or ''}".strip() + "."
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ActionError(
            what=f"{name}:{line}: holds a character YAML does not allow",
            why=f"Character {exc.character!r} at offset {exc.position} is not printable; YAML files are text.",
            fix="Remove the character.",
            docs="#check",
        ) from None
    except yaml.YAMLError as exc:
        raise _refuse(name, None, "is not valid YAML", f"{exc}.") from None
    return Source(name, text, documents)


class _Open:
    """A collection being composed: its node and its size and depth so far."""

    __slots__ = ("anchor", "depth", "node", "size")

    def __init__(self, node: Any, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.size = 1
        self.depth = 1


def _compose(yaml: Any, text: str, name: str) -> list[Any]:
    """The documents' node trees, from PyYAML's event stream, with the bounds checked as events arrive."""
    events = yaml.SafeLoader(text)
    try:
        documents: list[Any] = []
        anchors: dict[str, Any] = {}
        sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (size, depth), for aliases
        stack: list[_Open] = []
        total = 0
        root: Any = None

        def attach(node: Any, size: int, depth: int, mark: Any) -> None:
            nonlocal total, root
            total += size
            if total > MAX_NODES:
                raise _refuse(
                    name,
                    mark,
                    f"holds more than {MAX_NODES:,} values (aliases expanded)",
                    "Aliases that stand for aliases multiply (a 'billion laughs' file); no manifest is that large.",
                )
            if not stack:
                root = node
                return
            parent = stack[-1]
            parent.node.value.append(node)
            parent.size += size
            parent.depth = max(parent.depth, depth + 1)
            if parent.depth > MAX_DEPTH:
                raise _refuse(name, mark, f"nests deeper than {MAX_DEPTH} levels", "No manifest nests that deep.")

        while True:
            event = events.get_event()
            kind = type(event).__name__
            if kind == "StreamEndEvent":
                return documents
            if kind == "DocumentStartEvent":
                anchors.clear()
                sizes.clear()
                if len(documents) >= MAX_DOCUMENTS:
                    raise _refuse(
                        name,
                        event.start_mark,
                        f"holds more than {MAX_DOCUMENTS:,} documents",
                        "A manifest file holds a few Kubernetes objects; check reads at most "
                        f"{MAX_DOCUMENTS:,} per file.",
                    )
            elif kind == "DocumentEndEvent":
                documents.append(root)
                root = None
            elif kind == "AliasEvent":
                target = anchors.get(event.anchor)
                if target is None:
                    raise _refuse(
                        name,
                        event.start_mark,
                        f"uses the alias *{event.anchor[:40]} before its anchor is complete",
                        "An alias must name an anchor defined earlier, outside the node that uses it (a recursive "
                        "structure has no JSON form).",
                    )
                size, depth = sizes[id(target)]
                attach(target, size, depth, event.start_mark)
            elif kind == "ScalarEvent":
                tag = event.tag
                if tag is None or tag == "!":
                    tag = events.resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    sizes[id(node)] = (1, 1)
                attach(node, 1, 1, event.start_mark)
            elif kind in ("SequenceStartEvent", "MappingStartEvent"):
                sequence = kind == "SequenceStartEvent"
                tag = event.tag
                if tag is None or tag == "!":
                    tag = events.resolve(yaml.SequenceNode if sequence else yaml.MappingNode, None, event.implicit)
                cls = yaml.SequenceNode if sequence else yaml.MappingNode
                node = cls(tag, [], event.start_mark, None, flow_style=event.flow_style)
                stack.append(_Open(node, event.anchor))
                if len(stack) > MAX_DEPTH:
                    raise _refuse(
                        name, event.start_mark, f"nests deeper than {MAX_DEPTH} levels", "No manifest nests that deep."
                    )
            elif kind in ("SequenceEndEvent", "MappingEndEvent"):
                done = stack.pop()
                node = done.node
                node.end_mark = event.end_mark
                if kind == "MappingEndEvent":
                    flat = node.value
                    node.value = list(zip(flat[::2], flat[1::2], strict=True))
                    _no_duplicate_keys(node, name)
                if done.anchor is not None:
                    anchors[done.anchor] = node
                    sizes[id(node)] = (done.size, done.depth)
                total -= done.size - 1  # its children were counted as they arrived
                attach(node, done.size, done.depth, node.start_mark)
    finally:
        events.dispose()


def _no_duplicate_keys(node: Any, name: str) -> None:
    seen: dict[tuple[str, str], Any] = {}
    for key, _ in node.value:
        if type(key).__name__ != "ScalarNode" or key.tag == _MERGE:
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise _refuse(
                name,
                key.start_mark,
                f"defines the key {key.value[:60]!r} twice (first on line {first.start_mark.line + 1})",
                "Kubernetes refuses a mapping with a duplicate key; one of the two values would be lost.",
            )


def _constructor(yaml: Any) -> Any:
    class JsonConstructor(yaml.constructor.SafeConstructor):  # type: ignore[misc]  # PyYAML ships no types: Any base
        """safe_load's constructor, limited to what JSON (and so the Kubernetes API) can hold."""

    JsonConstructor.add_constructor("tag:yaml.org,2002:timestamp", JsonConstructor.construct_yaml_str)
    for tag in _REFUSED:
        JsonConstructor.add_constructor(f"tag:yaml.org,2002:{tag}", JsonConstructor.construct_undefined)
    return JsonConstructor()


def _document(yaml: Any, index: int, node: Any, name: str) -> Document:
    if node is None:  # an empty document (a lone `---`)
        return Document(index, None, Span(1, 1, 0, 0, ""), {}, {})
    try:
        data = _constructor(yaml).construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _refuse(
            name,
            mark,
            "uses a YAML tag check does not construct",
            f"{exc.problem or exc}. Manifests hold plain data; a tag such as !!python/object would run code in an "
            "unsafe loader and is refused here.",
        ) from None
    values: dict[Path_, Span] = {}
    keys: dict[Path_, Span] = {}
    todo: list[tuple[Path_, Any]] = [((), node)]
    while todo:
        path, current = todo.pop()
        values[path] = _span(current)
        kind = type(current).__name__
        if kind == "SequenceNode":
            todo.extend(((*path, i), child) for i, child in enumerate(current.value))
        elif kind == "MappingNode":
            chosen: dict[str, tuple[Any, Any]] = {}
            for key, child in current.value:  # merged pairs first, then the mapping's own: the last one wins
                if type(key).__name__ == "ScalarNode" and key.tag == _STR:
                    chosen[key.value] = (key, child)
            for text, (key, child) in chosen.items():
                keys[(*path, text)] = _span(key)
                todo.append(((*path, text), child))
    return Document(index, data, values[()], values, keys)


def _span(node: Any) -> Span:
    start, end = node.start_mark, node.end_mark
    if type(node).__name__ == "ScalarNode":
        style = node.style or ""
    else:
        style = ("[" if type(node).__name__ == "SequenceNode" else "{") if node.flow_style else ""
    return Span(start.line + 1, start.column + 1, start.index, end.index, style)


def error_at(source: Source, document: Document, path: Path_) -> str:
    """``file:line`` of the value at ``path`` (or its closest written parent), for messages."""
    return f"{source.name}:{document.line(*path)}"
