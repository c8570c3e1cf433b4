"""A re-run completes the attestation its earlier attempt could not make.

"Re-run failed jobs" starts attempt 2 of the same workflow run (the same ``GITHUB_RUN_ID``). When attempt 1
pushed a component and then failed to attest it (Fulcio or GitHub's attestations API down), the registry holds
that digest under the component's source key without provenance; attempt 2 rebuilds, and a toolchain that is not
reproducible gives other bytes. Pushing them would be a second digest for one release (an immutable release tag
that attempt 1 already moved refuses it). Instead attempt 2 attests attempt 1's digest, when a **record** says
that this very run built it.

The record: publish writes it in the home directory (:func:`place`) as soon as its push is done; when the step
fails after that, the publish action saves it with ``actions/cache/save`` under :func:`cache_key` (the run id, the
source key and the attempt), and a later attempt restores the latest one (:func:`cache_prefix`) before publish
runs (a cache entry is never overwritten: an attempt that fails again saves its own). Once the digest is attested
the record is deleted.

Why the cache and not the registry: anyone who can push to the registry can write any manifest or annotation, and
the cache is readable by a re-run (a run reads its own ref's entries and the default branch's: "Caching
dependencies to speed up workflows", section "Restrictions for accessing a cache", docs.github.com). Artifacts
would be the run's own, but the artifact service no longer shows an earlier attempt's artifacts to a re-run
without the REST API and ``actions: read`` (actions/download-artifact#486).

But the cache is not proof: any job on the ref or the default branch may write it whatever its permissions (no
``id-token: write``), so untrusted code in such a job plus registry write access could plant a record. So the
record carries proof only attempt 1 of this run could make: right after its push, publish asks the runner for the
job's GitHub Actions OIDC ID token with an audience that names exactly what was pushed (:func:`audience`: the
image, digest and source key), signed by GitHub (``trust/run_token.py``). A re-run asks for its own token, takes
its issuer as the trusted one (never the record token's own ``iss``), reads that issuer's keys, checks the record
token's RS256 signature, and requires (:func:`binding_refusal`) the audience for this image, digest and key, this
run's ``run_id``, an earlier ``run_attempt``, and this job's ``repository``, ``repository_id``, ``workflow_ref``,
``job_workflow_ref`` and ``sha``. A cache writer cannot mint a token for this run, so the record is as strong as
this run's own workflow identity. Expiry is not checked (attempt 2 may come hours later); a key the issuer no longer
publishes (rotated) means the record does not count. The trust rule stands: only bytes the record proves this run
built are signed, after they are pulled and checked against the digest.

Everything in the record is checked (:func:`refusal`, then :func:`proof_refusal`): anything else is today's
behaviour (rebuild, with a warning that names why). A job without a token endpoint writes no record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from .source_key import KEY, TAG_HEX

FORMAT = "wash-actions earlier attempt 1"
CACHE_PREFIX = "wash-actions-attempt-"
FILE = "record.json"
HOME_DIR = "~/.wash-actions/attempts"
MAX_RECORD = 64 << 10  # a record is a couple of kilobytes (its token); anything larger is not one
AUDIENCE_PREFIX = "wash-actions-attempt:"
OWN_AUDIENCE = "wash-actions-rerun"  # the audience of the re-run's own token (only its claims are read)
BOUND_CLAIMS = ("repository", "repository_id", "workflow_ref", "job_workflow_ref", "sha")


class Record(NamedTuple):
    """Attempt ``attempt`` of run ``run_id`` of ``repository`` pushed ``image@digest``, the build of ``key``."""

    run_id: str
    attempt: int
    repository: str  # GITHUB_REPOSITORY: the repository whose workflow built it
    image: str  # registry/repository it was pushed to
    key: str  # the source key recorded in its manifest
    digest: str  # the manifest digest
    token: str = ""  # the job's GitHub Actions ID token whose audience is audience(image, digest, key)


def audience(image: str, digest: str, key: str) -> str:
    """The audience of the token that proves this run pushed ``image@digest`` for ``key``: one hash of the three,
    so that a long image name never exceeds what the token service takes and nothing needs escaping in its URL."""
    named = hashlib.sha256(f"{image}@{digest} {key}".encode()).hexdigest()
    return f"{AUDIENCE_PREFIX}sha256:{named}"


def _slot(key: str) -> str:
    """The directory and cache-key part that name ``key``: its first hex digits, as its tag does."""
    return key.removeprefix("sha256:")[:TAG_HEX]


def cache_prefix(run_id: str, key: str) -> str:
    """The actions/cache key of every record of ``key``'s build in run ``run_id``, less the attempt that wrote it
    ("" without a run id or a key): a restore asks for this prefix and gets the latest attempt's record."""
    if not run_id.isdigit() or not KEY.match(key):
        return ""
    return f"{CACHE_PREFIX}{run_id}-{_slot(key)}-"


def cache_key(run_id: str, key: str, attempt: str) -> str:
    """The actions/cache key of the record attempt ``attempt`` writes ("" when it cannot be made)."""
    prefix = cache_prefix(run_id, key)
    return f"{prefix}{attempt}" if prefix and attempt.isdigit() else ""


def cache_path(key: str) -> str:
    """The path actions/cache saves and restores for ``key``, as the action names it. Its text is part of the cache
    entry's version (actions/toolkit ``cache/src/internal/cacheUtils.ts`` ``getCacheVersion`` hashes the paths as
    written), so it must read the same on every runner the re-run may land on: under ``~``, which actions/cache
    expands to the home directory, not under ``RUNNER_TEMP``, whose path differs between self-hosted runners (and
    under act, between runs)."""
    return f"{HOME_DIR}/{_slot(key)}"


def place(home: Path, key: str) -> Path:
    """Where :func:`cache_path` is on this machine, whose home directory is ``home``."""
    return home.joinpath(*HOME_DIR.removeprefix("~/").split("/"), _slot(key))


def write(home: Path, record: Record) -> Path:
    """Write ``record`` where :func:`place` says; returns the file."""
    path = place(home, record.key) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": FORMAT, **record._asdict()}))
    return path


def read(home: Path, key: str) -> Record | None:
    """The record restored for ``key``, or None (none restored, unreadable, or not a record)."""
    path = place(home, key) / FILE
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RECORD + 1)
        data = json.loads(raw) if len(raw) <= MAX_RECORD else None
    except (OSError, ValueError):
        return None
    return parse(data)


def remove(home: Path, key: str) -> None:
    """Delete the record of ``key`` (once attested, nothing is left in the home directory of a self-hosted
    runner)."""
    try:
        (place(home, key) / FILE).unlink(missing_ok=True)
        place(home, key).rmdir()
    except OSError:
        pass


def parse(data: object) -> Record | None:
    """A record from its JSON document, or None when the document is not one (wrong format or types)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    attempt = data.get("attempt")
    texts = [data.get(name) for name in ("run_id", "repository", "image", "key", "digest")]
    if not isinstance(attempt, int) or isinstance(attempt, bool):
        return None
    run_id, repository, image, key, digest = (text if isinstance(text, str) else None for text in texts)
    if run_id is None or repository is None or image is None or key is None or digest is None:
        return None
    token = data.get("token", "")
    return Record(run_id, attempt, repository, image, key, digest, token if isinstance(token, str) else "")


def refusal(record: Record, *, run_id: str, attempt: str, repository: str, image: str, key: str, digest: str) -> str:
    """Why ``record`` does not let this attempt attest ``image@digest`` (the digest found under ``key``), or ""
    when it does: an earlier attempt of this very run of this repository pushed exactly that digest there."""
    if not run_id or record.run_id != run_id:
        return f"the record is from workflow run {record.run_id or '(none)'}, not this run ({run_id or 'unknown'})"
    if not attempt.isdigit() or not 0 < record.attempt < int(attempt):
        return f"the record is from attempt {record.attempt}, not an earlier attempt than this one ({attempt})"
    if record.repository != repository:
        return f"the record is from the repository {record.repository}, not {repository}"
    if record.image != image:
        return f"the record is for {record.image}, not {image}"
    if record.key != key:
        return f"the record is for the source key {record.key}, not {key}"
    if record.digest != digest:
        return f"attempt {record.attempt} of this run pushed {record.digest}, not {digest}"
    return ""


def binding_refusal(claims: dict[str, Any], own: dict[str, Any], expected_audience: str) -> str:
    """Why the verified ``claims`` of a record's token do not prove that an earlier attempt of the run whose own
    token's claims are ``own`` pushed what ``expected_audience`` names ("" when they do)."""
    aud = claims.get("aud")
    if aud != expected_audience and aud != [expected_audience]:
        return "its token was issued for something else than this image, digest and source key"
    run_id, own_run = claims.get("run_id"), own.get("run_id")
    if not isinstance(own_run, str) or not own_run or run_id != own_run:
        return f"its token is from workflow run {run_id}, not this run ({own_run})"
    attempt, own_attempt = str(claims.get("run_attempt", "")), str(own.get("run_attempt", ""))
    if not attempt.isdigit() or not own_attempt.isdigit() or not 0 < int(attempt) < int(own_attempt):
        return f"its token is from attempt {attempt or '(none)'}, not an earlier attempt than this one ({own_attempt})"
    for name in BOUND_CLAIMS:
        if name == "repository_id" and name not in own:
            continue
        if claims.get(name) != own.get(name) or (name != "repository_id" and not own.get(name)):
            return f"its token's {name} is {claims.get(name)!r}, not this job's {own.get(name)!r}"
    return ""


def proof_refusal(record: Record, own_token: str) -> str:
    """Why ``record``'s token does not prove that an earlier attempt of this run pushed what it names, judged with
    this job's own token ``own_token`` ("" when it does): GitHub's signature, checked with the keys of the issuer
    of ``own_token``, then :func:`binding_refusal`."""
    if not record.token:
        return "it carries no token of the run that wrote it"
    if not own_token:
        return "this job has no OIDC token to check it with (permissions: id-token: write)"
    from ..trust import run_token

    try:
        issuer = run_token.parse(own_token).claims.get("iss")
        if not isinstance(issuer, str) or not issuer.startswith("https://"):
            return f"this job's own token names no https issuer ({issuer!r})"
        claims = run_token.verify(record.token, issuer, run_token.keys(issuer))
        own = run_token.parse(own_token).claims
    except run_token.Invalid as exc:
        return f"its token is not accepted: {exc}"
    return binding_refusal(claims, own, audience(record.image, record.digest, record.key))
