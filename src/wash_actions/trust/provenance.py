"""The SLSA provenance v1 predicate for a pushed component, built from the job's OIDC token claims.

It has the shape actions/attest builds (``buildSLSAProvenancePredicate`` in @actions/attest), so GitHub's
``gh attestation verify`` reads it the same way:
- ``buildType`` ``https://actions.github.io/buildtypes/workflow/v1``;
- ``externalParameters.workflow``: ``ref``, ``repository`` (server URL + repository), ``path`` (the workflow
  file, from ``workflow_ref``);
- ``internalParameters.github``: ``event_name``, ``repository_id``, ``repository_owner_id``,
  ``runner_environment``;
- ``resolvedDependencies``: ``git+<server>/<repository>@<ref>`` with the commit as ``gitCommit``;
- ``runDetails.builder.id``: server URL + ``job_workflow_ref``; ``runDetails.metadata.invocationId``: the
  run's URL with its attempt.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from ..errors import ActionError

SLSA_PREDICATE_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
REQUIRED_CLAIMS = (
    "repository",
    "ref",
    "sha",
    "workflow_ref",
    "job_workflow_ref",
    "event_name",
    "repository_id",
    "repository_owner_id",
    "runner_environment",
    "run_id",
    "run_attempt",
)


def b64url(text: str) -> bytes:
    """A JWT part's bytes: base64url, its padding left off (RFC 7515 section 2)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (its signature is the issuer's business; Fulcio verifies it when signing)."""
    try:
        return dict(json.loads(b64url(token.split(".")[1])))
    except (IndexError, ValueError) as exc:
        raise ActionError(
            what="The job's OIDC token could not be read",
            why=f"It is not a JWT ({exc}).",
            fix="Re-run the job; the token comes from the runner (permissions: id-token: write).",
            docs="#attestations",
        ) from None


def predicate(claims: Mapping[str, Any], server_url: str) -> dict[str, Any]:
    """The SLSA v1 provenance predicate for this run, built from the job's OIDC token claims."""
    missing = [name for name in REQUIRED_CLAIMS if not claims.get(name)]
    if missing:
        raise ActionError(
            what="The job's OIDC token lacks claims SLSA provenance needs",
            why=f"Missing: {', '.join(missing)}. Only GitHub Actions tokens carry them.",
            fix="Run the publish step in a GitHub Actions job with\npermissions:\n  id-token: write",
            docs="#attestations",
        )
    server = server_url.rstrip("/")
    repository = str(claims["repository"])
    run_url = f"{server}/{repository}/actions/runs/{claims['run_id']}/attempts/{claims['run_attempt']}"
    workflow_path = str(claims["workflow_ref"]).replace(f"{repository}/", "", 1).split("@", 1)[0]
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "workflow": {
                    "ref": claims["ref"],
                    "repository": f"{server}/{repository}",
                    "path": workflow_path,
                }
            },
            "internalParameters": {
                "github": {
                    "event_name": claims["event_name"],
                    "repository_id": claims["repository_id"],
                    "repository_owner_id": claims["repository_owner_id"],
                    "runner_environment": claims["runner_environment"],
                }
            },
            "resolvedDependencies": [
                {
                    "uri": f"git+{server}/{repository}@{claims['ref']}",
                    "digest": {"gitCommit": claims["sha"]},
                }
            ],
        },
        "runDetails": {
            "builder": {"id": f"{server}/{claims['job_workflow_ref']}"},
            "metadata": {"invocationId": run_url},
        },
    }


def subject_name(image: str) -> str:
    """The attestation subject: the image without tag or digest, lower-case, fully qualified."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name.rsplit(":", 1)[0]
    return name.lower()
