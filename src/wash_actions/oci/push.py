"""publish's registry steps: push the artifact once (by digest), then point the tags at it.

Idempotent by construction: a blob the repository already has is not uploaded again (``HEAD`` first), a
manifest already stored under its digest is not sent again, and a tag that already names the digest is left
where it is ("unchanged"). Nothing is tagged until the manifest is stored under its own digest and the
registry has confirmed that digest, so a registry that lies about what it stored leaves no tag half-moved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

from ..errors import ActionError
from . import tags as tag_rules
from .layout import Artifact
from .registry import Manifest, Registry, RegistryError

UNKNOWN = "?"  # a registry that lets this job push but not pull: what a tag named before is not known
SIDE_BY_SIDE = 8  # registry requests in flight at once

_T = TypeVar("_T")


class Pushed(NamedTuple):
    """What the push did: blobs uploaded (the rest were already there) and whether the manifest was new."""

    uploaded: tuple[str, ...]
    manifest_stored: bool


class Tagged(NamedTuple):
    """Where each tag points now, and what changed: moved (tag -> previous digest), created, unchanged."""

    moved: dict[str, str]
    created: tuple[str, ...]
    unchanged: tuple[str, ...]


def previous_digest(client: Registry, repository: str, tag: str) -> str:
    """What ``tag`` names before this publish: a digest, "" when it does not exist, UNKNOWN when pull is denied."""
    try:
        hit = client.find_manifest(repository, tag)
    except RegistryError as exc:
        if exc.kind != "denied":  # unreachable, 5xx: stop before anything is pushed
            raise
        return UNKNOWN
    return hit[0].digest if hit else ""


class SideBySide(Generic[_T]):
    """``work(name)`` for every name, started now on daemon threads (at most :data:`SIDE_BY_SIDE` at a time), so
    the round trips overlap each other and whatever this thread does meanwhile. :meth:`results` waits: in the
    order of ``names``, each call's result or the exception it raised.

    Plain daemon threads: a cancelled step does not wait for a request to time out, and a step does not pay
    for importing concurrent.futures (5 ms, with logging).
    """

    def __init__(self, work: Callable[[str], _T], names: Sequence[str]) -> None:
        self._work = work
        self._names = names
        self._done: dict[int, _T | Exception] = {}
        self._pending = iter(range(len(names)))
        self._lock = threading.Lock()
        # one thread starts the workers and waits for them: this thread goes on at once (starting a thread
        # waits for it to run, and the workers would make this thread wait for the GIL five times over)
        self._starter = threading.Thread(target=self._run, daemon=True) if names else None
        if self._starter is not None:
            self._starter.start()

    def _run(self) -> None:
        workers = [
            threading.Thread(target=self._worker, daemon=True) for _ in range(min(SIDE_BY_SIDE, len(self._names)))
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()

    def _worker(self) -> None:
        while True:
            with self._lock:
                index = next(self._pending, None)
            if index is None:
                return
            try:
                self._done[index] = self._work(self._names[index])
            except Exception as exc:  # handed to the caller, in order
                self._done[index] = exc

    def results(self) -> list[_T | Exception]:
        if self._starter is not None:
            self._starter.join()
        return [self._done[index] for index in range(len(self._names))]


def side_by_side(work: Callable[[str], _T], names: Sequence[str]) -> list[_T | Exception]:
    """:class:`SideBySide`, waited for."""
    return SideBySide(work, names).results()


def all_or_first_failure(results: list[_T | Exception]) -> list[_T]:
    """The results of :class:`SideBySide`, or the first failure among them (in the order of the names) raised."""
    for result in results:
        if isinstance(result, Exception):
            raise result
    return [result for result in results if not isinstance(result, Exception)]


class TagReads:
    """Every tag's current digest, read side by side from now on (while the artifact is planned)."""

    def __init__(self, client: Registry, repository: str, tags: Sequence[str]) -> None:
        self._tags = tags
        self._reads = SideBySide(lambda tag: previous_digest(client, repository, tag), tags)

    def result(self) -> dict[str, str]:
        """tag -> digest ("" for none, UNKNOWN when pull is denied); the first failure, in tag order, is raised."""
        return dict(zip(self._tags, all_or_first_failure(self._reads.results()), strict=True))


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


def push(
    client: Registry, repository: str, artifact: Artifact, wasm: bytes | memoryview, previous: dict[str, str]
) -> Pushed:
    """Store the manifest under its digest, uploading only the blobs the repository lacks.

    A tag already naming the digest (read and hashed moments ago) proves the manifest and its blobs are there:
    nothing is sent. Otherwise a manifest ``HEAD`` by digest decides, and only then the blobs' ``HEAD``s.
    """
    if artifact.digest in previous.values() or client.has_manifest(repository, artifact.digest):
        return Pushed((), manifest_stored=False)
    blobs = ((artifact.layer_digest, wasm), (artifact.config_digest, artifact.config))
    uploaded = [digest for digest, data in blobs if client.upload_blob(repository, data, digest=digest).uploaded]
    client.push_manifest(repository, artifact.digest, artifact.manifest)
    return Pushed(tuple(uploaded), manifest_stored=True)


def tag(client: Registry, repository: str, image: str, manifest: Manifest, previous: dict[str, str]) -> Tagged:
    """Point every tag that does not already name the manifest's digest at it (side by side), then read every tag
    back. The manifest is the one just pushed, or one published before for the same source (reuse).

    On any failure, one error that says which tags moved, which did not, and why.
    """
    digest = manifest.digest
    todo = [name for name, old in previous.items() if old != digest]
    failed: dict[str, str] = {}
    written = side_by_side(lambda name: client.push_manifest(repository, name, manifest), todo)
    for name, result in zip(todo, written, strict=True):
        if isinstance(result, ActionError):
            failed[name] = f"{result.what}: {result.why}"
        elif isinstance(result, Exception):
            failed[name] = f"{type(result).__name__}: {result}"
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
    found = all_or_first_failure(side_by_side(lambda name: client.resolve(repository, name), todo))
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
