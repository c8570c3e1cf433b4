"""publish's registry steps: push the artifact once (by digest), then point the tags at it.

Idempotent by construction: a blob the repository already has is not uploaded again (``HEAD`` first), a
manifest already stored under its digest is not sent again, and a tag that already names the digest is left
where it is ("unchanged"). Nothing is tagged until the manifest is stored under its own digest and the
registry has confirmed that digest, so a registry that lies about what it stored leaves no tag half-moved.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import tags as tag_rules
from .errors import ActionError
from .layout import Artifact
from .registry import Registry

UNKNOWN = "?"  # a registry that lets this job push but not pull: what a tag named before is not known


@dataclass(frozen=True)
class Pushed:
    """What the push did: blobs uploaded (the rest were already there) and whether the manifest was new."""

    uploaded: tuple[str, ...]
    manifest_stored: bool


@dataclass(frozen=True)
class Tagged:
    """Where each tag points now, and what changed: moved (tag -> previous digest), created, unchanged."""

    moved: dict[str, str] = field(default_factory=dict)
    created: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


def previous_digest(client: Registry, repository: str, tag: str) -> str:
    """What ``tag`` names before this publish: a digest, "" when it does not exist, UNKNOWN when pull is denied."""
    try:
        hit = client.find_manifest(repository, tag)
    except ActionError as exc:
        if "denied access" not in exc.what:  # unreachable, 5xx: stop before anything is pushed
            raise
        return UNKNOWN
    return hit[0].digest if hit else ""


def read_tags(client: Registry, repository: str, tags: tuple[str, ...]) -> dict[str, str]:
    """Every tag's current digest (side by side)."""
    with ThreadPoolExecutor(max_workers=min(8, len(tags))) as pool:
        found = list(pool.map(lambda tag: previous_digest(client, repository, tag), tags))
    return dict(zip(tags, found, strict=True))


def check_immutable(previous: dict[str, str], image: str, digest: str, mode: str) -> None:
    """Refuse, before anything is pushed, to move an immutable tag that names another digest.

    A tag that already names ``digest`` (a re-run of the same commit) is accepted: nothing moves.
    """
    taken = {
        tag: old
        for tag, old in previous.items()
        if old and old != UNKNOWN and old != digest and tag_rules.immutable(tag, mode)
    }
    if not taken:
        return
    listed = ", ".join(f"{image}:{tag} ({old})" for tag, old in taken.items())
    plural = len(taken) > 1
    raise ActionError(
        what=f"Refusing to move published release tag{'s' if plural else ''} {', '.join(taken)}",
        why=f"{listed} already exist{'' if plural else 's'} and name{'' if plural else 's'} another digest than "
        f"this component's {digest}; with immutable-tags: {mode} a published release is never overwritten. "
        "(A re-run of the same commit with the same component gives the same digest and is accepted.) "
        "Nothing was pushed.",
        fix="Release a new version (a new X.Y.Z tag), or, to overwrite on purpose:\nwith:\n  immutable-tags: none",
        docs="#immutable-tags",
    )


def push(client: Registry, repository: str, artifact: Artifact, wasm: bytes, previous: dict[str, str]) -> Pushed:
    """Store the manifest under its digest, uploading only the blobs the repository lacks.

    A tag already naming the digest (read and hashed moments ago) proves the manifest and its blobs are there:
    nothing is sent. Otherwise a manifest ``HEAD`` by digest decides, and only then the blobs' ``HEAD``s.
    """
    if artifact.digest in previous.values() or client.has_manifest(repository, artifact.digest):
        return Pushed((), manifest_stored=False)
    blobs = ((artifact.layer_digest, wasm), (artifact.config_digest, artifact.config))
    uploaded = [digest for digest, data in blobs if client.ensure_blob(repository, data, digest=digest)[1]]
    client.put_manifest(repository, artifact.digest, artifact.manifest)
    return Pushed(tuple(uploaded), manifest_stored=True)


def tag(client: Registry, repository: str, image: str, artifact: Artifact, previous: dict[str, str]) -> Tagged:
    """Point every tag that does not already name the digest at it (side by side), then read every tag back.

    On any failure, one error that says which tags moved, which did not, and why.
    """
    digest = artifact.digest
    todo = [name for name, old in previous.items() if old != digest]
    failed: dict[str, str] = {}
    if todo:
        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            futures = {name: pool.submit(client.put_manifest, repository, name, artifact.manifest) for name in todo}
            for name, future in futures.items():
                exc = future.exception()
                if isinstance(exc, ActionError):
                    failed[name] = f"{exc.what}: {exc.why}"
                elif exc is not None:
                    failed[name] = f"{type(exc).__name__}: {exc}"
    if failed:
        done = [name for name in previous if name not in failed]
        reasons = "; ".join(f"{name}: {why}" for name, why in failed.items())
        raise ActionError(
            what=f"Published {image}@{digest} but could not tag {', '.join(failed)} "
            f"({len(failed)} of {len(previous)} tags)",
            why=f"Naming {digest}: {', '.join(done) or 'none'}. Not moved (still where they were): "
            f"{', '.join(failed)}. Why: {reasons}",
            fix="Re-run the job once the registry answers again: the same commit gives the same digest, so the "
            "tags that moved stay and the others follow. If the registry refused (401/403), check the "
            "credentials' push rights.",
            docs="#publish",
        )
    # read back what was written (a tag that already named the digest was read and hashed before the push)
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(todo)))) as pool:
        found = list(pool.map(lambda name: client.resolve(repository, name), todo))
    wrong = {name: d for name, d in zip(todo, found, strict=True) if d != digest}
    if wrong:
        raise ActionError(
            what=f"Tags {', '.join(wrong)} do not resolve to the pushed digest {digest}",
            why="Another push changed them at the same time, or the registry rewrote the manifest.",
            fix="Avoid concurrent publishes of the same tags:\nconcurrency:\n  group: publish-${{ github.ref }}",
            docs="#publish",
        )
    return Tagged(
        moved={name: old for name, old in previous.items() if old and old not in (UNKNOWN, digest)},
        created=tuple(name for name, old in previous.items() if not old),
        unchanged=tuple(name for name, old in previous.items() if old == digest),
    )
