"""Whether publish attests, and with which Sigstore instance: decided from the inputs and the job before any
work is done, apart from the signing code (:mod:`attest`, which a publish that does not attest never imports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlparse

from ..errors import ActionError

PUBLIC_GOOD_SERVER = "https://github.com"
PUBLIC_GOOD = "public-good"
GITHUB = "github"


class Instance(NamedTuple):
    """A Sigstore instance to sign with: Fulcio, and a transparency log (Rekor) or a timestamp authority."""

    name: str  # public-good | github
    fulcio_url: str
    tsa_url: str = ""  # base URL; the RFC 3161 endpoint is {tsa_url}/api/v1/timestamp
    rekor_url: str = ""

    @property
    def label(self) -> str:
        if self.name == PUBLIC_GOOD:
            return "Sigstore's public-good instance (Fulcio + Rekor transparency log)"
        return f"GitHub's Sigstore instance ({self.fulcio_url}, timestamps from {self.tsa_url}; no public log)"


SIGSTORE_PUBLIC_GOOD = Instance(PUBLIC_GOOD, "https://fulcio.sigstore.dev", rekor_url="https://rekor.sigstore.dev")


def signing_instance(event: dict[str, Any], server_url: str) -> Instance:
    """The instance @actions/attest 3.2.0 signs with (``signingEndpoints``, lib/endpoints.js).

    Public-good only when the event payload says the repository is public; otherwise (private, internal, or no
    visibility in the payload) GitHub's instance: ``fulcio.<host>`` and ``timestamp.<host>`` where host is the
    server's host name, ``githubapp.com`` for github.com (a GHE.com tenant gets its own instance).
    """
    repository = event.get("repository")
    if isinstance(repository, dict) and repository.get("visibility") == "public":
        return SIGSTORE_PUBLIC_GOOD
    host = urlparse(server_url or PUBLIC_GOOD_SERVER).hostname or "github.com"
    if host == "github.com":
        host = "githubapp.com"
    return Instance(GITHUB, f"https://fulcio.{host}", tsa_url=f"https://timestamp.{host}")


def attestations_host(server_url: str) -> bool:
    """github.com and GHE.com tenants (``*.ghe.com``) have artifact attestations; GitHub Enterprise Server not."""
    host = urlparse(server_url or PUBLIC_GOOD_SERVER).hostname or ""
    return host == "github.com" or host.endswith(".ghe.com")


class Decision(NamedTuple):
    enabled: bool
    notice: str = ""
    instance: Instance | None = None


def attest_mode(attest_input: str, alias: str) -> str:
    """true, false or auto: ``attest`` when set, else its wasmCloud/actions alias ``attestation``, else auto.

    action.yml gives ``attest`` no default so that an alias set by the workflow is not hidden by one.
    """
    given = {name: value.strip().lower() for name, value in (("attest", attest_input), ("attestation", alias)) if value}
    for name, value in given.items():
        if value not in ("true", "false", "auto"):
            raise ActionError(
                what=f"Input '{name}' must be true, false or auto, not {value!r}",
                why="auto attests when the job can sign (permissions: id-token: write).",
                fix=f"with:\n  {name}: auto",
                docs="#attestations",
            )
    if len(set(given.values())) > 1:
        raise ActionError(
            what=f"Inputs 'attest' ({given['attest']}) and 'attestation' ({given['attestation']}) disagree",
            why="'attestation' is an alias of 'attest' for users of wasmCloud/actions; set one of them.",
            fix=f"with:\n  attest: {given['attestation']}",
            docs="#attestations",
        )
    return next(iter(given.values()), "auto")


def decide(
    mode: str,
    *,
    push: bool,
    oidc_url: str,
    server_url: str,
    event_name: str,
    event: dict[str, Any],
) -> Decision:
    """Whether to attest, checked before any work is done. ``mode`` is true, false or auto."""
    if mode == "false":
        return Decision(False)
    if not push:
        return Decision(False, "push: false — nothing was pushed, so nothing is attested.")
    pull = event.get("pull_request") or {}
    head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base_repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    if event_name.startswith("pull_request") and head_repo and base_repo and head_repo != base_repo:
        return Decision(False, "Attestation skipped: pull requests from forks get no OIDC token to sign with.")
    if not attestations_host(server_url):
        return Decision(
            False,
            f"Attestation skipped: GitHub Enterprise Server ({server_url}) does not support artifact attestations.",
        )
    if not oidc_url:
        if mode == "true":
            raise ActionError(
                what="attest: true needs the job's OIDC token, and this job has none",
                why="Sigstore signs with the workflow's identity, which GitHub issues only to jobs granted "
                "id-token: write.",
                fix="Grant the job the permissions attestations need:\npermissions:\n  contents: read\n"
                "  packages: write\n  id-token: write\n  attestations: write",
                docs="#attestations",
            )
        return Decision(
            False,
            "Attestation skipped: the job has no OIDC token. Add `permissions: id-token: write` and "
            "`attestations: write` to attest the published digest.",
        )
    return Decision(True, instance=signing_instance(event, server_url))


def decide_in_job(mode: str, *, push: bool, env: Mapping[str, str], event: dict[str, Any]) -> Decision:
    """:func:`decide` with what the job's environment says: the OIDC endpoint (``id-token: write``), the
    server, the event's name; the one place build, discover and publish read them for it."""
    return decide(
        mode,
        push=push,
        oidc_url=env.get("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
        server_url=env.get("GITHUB_SERVER_URL", ""),
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        event=event,
    )
