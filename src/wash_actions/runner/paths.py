"""Paths that stay home: resolve (following every symbolic link), then require containment.

A path from a workflow input or from a project's own files (``build.component_path`` in
``.wash/config.yaml``) is untrusted: ``..``, an absolute path or a symbolic link can point anywhere
on the runner, and the build writes metadata into the component file it is given.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import ActionError

# Directories a search of the workspace for a project's own files (Cargo.toml, wkg.lock) does not enter: what VCS,
# package managers and builds keep there is not the user's project.
NOT_SEARCHED = frozenset({".git", "node_modules", "target", ".venv", "build"})


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path``, with every symbolic link resolved, is ``root`` or below it."""
    resolved = path.resolve()
    base = root.resolve()
    return resolved == base or base in resolved.parents


def escape_reason(path: Path, root: Path) -> str:
    """Why ``path`` is not inside ``root``: through ``..``/an absolute path, or through a symbolic link."""
    lexical = Path(*(root / path).parts) if not path.is_absolute() else path
    target = path.resolve() if path.is_absolute() else (root / path).resolve()
    link = next((p for p in [lexical, *lexical.parents] if p.is_symlink()), None)
    if link is not None:
        return f"{link} is a symbolic link to {link.resolve()}, outside {root}"
    return f"it resolves to {target}, outside {root}"


def workspace_input(name: str, raw: str, workspace: Path, *, fix: str, docs: str) -> Path:
    """A file input: a relative path must stay inside the workspace (no ``..`` or symbolic link out of it);
    an absolute one (another step's output) is taken as the workflow wrote it."""
    if Path(raw).is_absolute() or is_inside(workspace / raw, workspace):
        return (workspace / raw).resolve()
    raise ActionError(
        what=f"{name} {raw!r} is outside the workspace",
        why=f"A relative {name} is a file of the checked-out repository: {escape_reason(Path(raw), workspace)}.",
        fix=fix,
        docs=docs,
    )


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A workspace-relative glob as a regex over POSIX paths: ``*`` and ``?`` within one name, ``[…]`` a
    class, ``**`` (a whole segment) any number of directories."""
    out = []
    segments = pattern.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        part = _segment(segment)
        out.append(part + ("" if last else "/"))
    return re.compile("".join(out) + r"\Z")


def _segment(segment: str) -> str:
    out, index = [], 0
    while index < len(segment):
        char = segment[index]
        close = segment.find("]", index + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close > 0:
            inside = segment[index + 1 : close]
            negate = inside[:1] in ("!", "^")
            body = re.sub(r"([\\\]\[^])", r"\\\1", inside[1:] if negate else inside)
            out.append(f"[{'^/' if negate else ''}{body}]")
            index = close
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def workspace_glob(name: str, raw: str, workspace: Path, *, fix: str, docs: str) -> list[Path]:
    """The files a workspace-relative path or glob names, sorted; the one containment rule for globs.

    Found by walking the workspace without following symbolic links to directories (so a link out of it, or a
    cycle of links, is never entered); a match that is itself a symbolic link counts only when it resolves
    inside the workspace (else one error); ``..`` and absolute patterns are refused.
    """
    pattern = raw.strip().replace("\\", "/").removeprefix("./")
    if not pattern or Path(pattern).is_absolute() or ".." in pattern.split("/") or pattern.startswith("/"):
        raise ActionError(
            what=f"{name}: {raw[:120]!r} is outside the workspace",
            why=f"{name} lists files of the checked-out repository, relative to the workspace.",
            fix=fix,
            docs=docs,
        )
    root = workspace.resolve()
    segments = pattern.split("/")
    literal = []
    for segment in segments[:-1]:
        if any(char in segment for char in "*?["):
            break
        literal.append(segment)
    start = root.joinpath(*literal)
    depth = None if "**" in segments else len(segments) - len(literal)
    matcher = _glob_regex(pattern)
    found: list[Path] = []
    if not start.is_dir() or start.is_symlink() or not is_inside(start, root):
        return found
    for directory, dirs, files in os.walk(start, followlinks=False):
        here = Path(directory)
        level = len(here.relative_to(start).parts)
        if depth is not None and level >= depth - 1:
            dirs[:] = []
        dirs.sort()
        for file in sorted(files) + [d for d in dirs if (here / d).is_symlink()]:
            path = here / file
            relative = path.relative_to(root).as_posix()
            if not matcher.match(relative):
                continue
            if not is_inside(path, root):
                raise ActionError(
                    what=f"{name}: {relative} is outside the workspace",
                    why=f"It matches {raw[:120]!r}, but {escape_reason(path.relative_to(root), root)}.",
                    fix=fix,
                    docs=docs,
                )
            if path.is_file():
                found.append(workspace / relative)  # under the caller's workspace path, as given
    return sorted(found)
