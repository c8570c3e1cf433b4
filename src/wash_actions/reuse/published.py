"""Same source, same digest: find the digest this repository already published for a source key.

publish records a component's source key (:mod:`source_key`) in its manifest (the annotation
:data:`source_key.ANNOTATION`) and points one tag at it, ``source-<32 hex digits of the key>``
(:func:`source_key.tag_for`), so the digest is found with one manifest ``GET``, without listing tags. The tag is
only an index: anyone who can push may move it, so a hit counts only when

- the manifest it names is a component manifest (one ``application/wasm`` layer) that records this very key
  (:func:`check_manifest`: a tag moved to another source's digest, or a key prefix shared by chance, is refused);
- with attestations on, the digest carries SLSA provenance signed by this repository's workflows, verified (the
  command asks :mod:`verifier`): a registry writer cannot plant a build, and a fork's signature does not count.
  One more signer counts (:func:`signer_policy`): wash-actions' reusable workflow
  (:data:`trust.policy.REUSABLE_WORKFLOW`) of the wash-actions repository this very step runs from, called by this
  repository. Its runs sign with the reusable
  workflow's identity (Fulcio's Build Signer URI is the called workflow) while their Source Repository is the
  caller's, so without it nothing the reusable workflow published would ever be reused.

The lookup runs beside the rest of publish and is waited for at most :data:`LOOKUP_SECONDS`: a registry that does
not answer in time costs one warning and a build published as before, never a failed release.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ActionError
from ..oci.layout import CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from ..oci.registry import Manifest, Registry
from ..runner.gha import ACTION_REPOSITORY_ENV
from .source_key import ANNOTATION, tag_for

if TYPE_CHECKING:
    from ..trust.policy import Policy

LOOKUP_SECONDS = 20.0
REVISION = "org.opencontainers.image.revision"


class Hit(NamedTuple):
    """A manifest published for the key: what the requested tags will name."""

    manifest: Manifest
    annotations: dict[str, str]
    layer_digest: str
    layer_size: int

    @property
    def digest(self) -> str:
        """The manifest's digest."""
        return self.manifest.digest

    @property
    def commit(self) -> str:
        """The commit the component names (its revision annotation), or "" when it names none."""
        return self.annotations.get(REVISION, "")


class Outcome(NamedTuple):
    """A hit, or none; ``warning`` says why a lookup that found something (or failed) did not count."""

    hit: Hit | None
    warning: str = ""


def check_manifest(manifest: Manifest, key: str) -> Hit | str:
    """The manifest as a :class:`Hit` for ``key``, or why it is not one."""
    if manifest.media_type.split(";")[0].strip() != MANIFEST_MEDIA_TYPE:
        return f"it is a {manifest.media_type or 'manifest without a media type'}, not an OCI image manifest"
    try:
        data = json.loads(manifest.body)
    except ValueError:
        return "its manifest is not JSON"
    if not isinstance(data, dict):
        return "its manifest is not a JSON object"
    notes = data.get("annotations")
    layers = data.get("layers")
    config = data.get("config")
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        return "its manifest has no annotations"
    recorded = notes.get(ANNOTATION, "")
    if recorded != key:
        return f"its manifest records the source key {str(recorded)[:80] or '(none)'}, not {key}"
    if not isinstance(config, dict) or config.get("mediaType") != CONFIG_MEDIA_TYPE:
        return "its config is not a wasm component's"
    if not isinstance(layers, list) or len(layers) != 1 or not isinstance(layers[0], dict):
        return "it does not have exactly one layer"
    layer = layers[0]
    digest, size = layer.get("digest"), layer.get("size")
    if layer.get("mediaType") != LAYER_MEDIA_TYPE or not isinstance(digest, str) or not isinstance(size, int):
        return "its layer is not an application/wasm component"
    return Hit(manifest, dict(notes), digest, size)


def find(client: Registry, repository: str, key: str) -> Outcome:
    """What ``source-<key>`` names in ``repository``, checked (:func:`check_manifest`)."""
    tag = tag_for(key)
    try:
        found = client.find_manifest(repository, tag)
    except ActionError as exc:
        return Outcome(None, f"looking up {repository}:{tag} failed ({exc.what})")
    if found is None:
        return Outcome(None)
    checked = check_manifest(found[0], key)
    if isinstance(checked, str):
        return Outcome(None, f"{repository}:{tag} names {found[0].digest}, which is not reused: {checked}")
    return Outcome(checked)


class Lookup:
    """:func:`find`, started now on a daemon thread; :meth:`result` waits at most ``seconds``."""

    def __init__(self, client: Registry, repository: str, key: str, *, seconds: float = 0.0) -> None:
        self.key = key
        self._seconds = seconds or LOOKUP_SECONDS
        self._outcome: Outcome | None = None
        self._thread = threading.Thread(target=self._run, args=(client, repository, key), daemon=True)
        self._thread.start()

    def _run(self, client: Registry, repository: str, key: str) -> None:
        try:
            self._outcome = find(client, repository, key)
        except Exception as exc:  # handed to the caller as a warning: a lookup never fails a publish
            self._outcome = Outcome(None, f"looking up {tag_for(key)} failed ({type(exc).__name__}: {exc})")

    def result(self) -> Outcome:
        """The lookup's outcome; a lookup still running after ``seconds`` is given up (one warning)."""
        self._thread.join(self._seconds)
        if self._outcome is None:
            return Outcome(
                None, f"the registry did not answer the lookup of {tag_for(self.key)} within {self._seconds:g} s"
            )
        return self._outcome


def pull_layer(client: Registry, repository: str, hit: Hit) -> bytes | str:
    """The component published for a hit: its layer's bytes, checked against the layer digest as they arrive and
    against the size the manifest gives; or why they could not be had (a string)."""
    image = f"{client.host}/{repository}"
    try:
        wasm = client.get_blob(repository, hit.layer_digest, max_bytes=max(hit.layer_size, 0) + 1)
    except ActionError as exc:
        return f"could not pull {image}@{hit.layer_digest}: {exc.what}"
    if len(wasm) != hit.layer_size:
        return f"{image}@{hit.layer_digest} is not the size its manifest says"
    return wasm


def signer_policy(github_repository: str, server_url: str, action_repository: str = "") -> Policy:
    """Whose provenance makes a digest reusable: a run of ``github_repository`` signed by one of its own workflows
    or by :data:`trust.policy.REUSABLE_WORKFLOW` of ``action_repository`` (the wash-actions repository this step runs
    from; any ref), never another file of it, another repository's workflow or a run of another repository (a fork)."""
    from ..trust.policy import Policy, wash_actions_reusable

    reusable = wash_actions_reusable(action_repository)
    called = f" or {reusable[0]} called from it" if reusable else ""
    return Policy(
        github_repository,
        server_url=server_url or "https://github.com",
        label=f"a workflow of {github_repository}{called}",
        reusable_workflows=reusable,
    )


def provenance(
    client: Registry,
    repository: str,
    digest: str,
    *,
    github_repository: str,
    server_url: str,
    api_url: str = "",
    token: str = "",
    action_repository: str | None = None,
    predicate_type: str = "",
) -> tuple[str] | str:
    """Verify that ``repository@digest`` carries SLSA provenance (or an attestation of ``predicate_type``, an SBOM's)
    signed by a workflow of ``github_repository``, or by wash-actions' reusable workflow in ``action_repository``
    called from it (:func:`signer_policy`; None: the step's, :data:`ACTION_REPOSITORY_ENV`; bundles from the
    registry's referrers, then GitHub's attestations API when a token is given): a 1-tuple with the evidence in one
    line, or why not (a string)."""
    import os
    import shutil

    from ..runner import transport
    from ..trust import verifier

    if action_repository is None:
        action_repository = os.environ.get(ACTION_REPOSITORY_ENV, "")
    policy = signer_policy(github_repository, server_url, action_repository)
    what = f"SBOM attestation ({predicate_type})" if predicate_type else "provenance"
    if predicate_type:
        policy = policy._replace(predicate_type=predicate_type)
    api = (api_url, transport.Auth.bearer(token, api_url)) if token and api_url else None
    try:
        evidence = verifier.verify_image(
            client,
            repository,
            digest,
            policy,
            gh=shutil.which("gh"),
            api=api,
            trust_configs=verifier.trust_configs_from(dict(os.environ)),
        )
    except verifier.Unverified as exc:
        if predicate_type:  # the provenance bundles it finds do not count: missing or refused, it is made again
            return f"it has no verified {what} from {policy.label} ({exc.reasons()})"
        return f"{_UNVERIFIED[exc.kind]} ({exc.reasons()})"
    except ActionError as exc:
        return f"its {what} could not be verified ({exc.what})"
    return (evidence.describe(),)


_UNVERIFIED = {
    "unattested": "it has no provenance",
    "unreachable": "its provenance could not be read",
    "refused": "its provenance was refused (not signed by this repository's workflows or wash-actions' reusable "
    "workflow called from it, or not for this digest)",
}
