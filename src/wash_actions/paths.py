"""Paths that stay home: resolve (following every symbolic link), then require containment.

A path from a workflow input or from a project's own files (``build.component_path`` in
``.wash/config.yaml``) is untrusted: ``..``, an absolute path or a symbolic link can point anywhere
on the runner, and the build writes metadata into the component file it is given.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ActionError


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
