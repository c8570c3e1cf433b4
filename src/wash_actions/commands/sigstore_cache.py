"""sigstore-cache: the actions/cache keys the publish step that signs needs before it runs.

- sigstore's wheels: where they live and their key, so actions/cache can restore them (each checked against
  ``requirements/sigstore.txt`` before it is unpacked, see ``extras``) instead of pip downloading them;
- on a re-run (``GITHUB_RUN_ATTEMPT`` above 1), the record an earlier attempt of this run left when it pushed the
  component but could not attest it (``reuse/earlier_attempt.py``): its exact key and path, for
  actions/cache/restore.

Empty outputs when publish will not sign, so nothing is restored or saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ..runner import extras, gha


class CacheInputs(NamedTuple):
    signs: bool
    rerun: bool = False  # an attempt after the first of this workflow run
    component: Path | None = None
    source_key: str = ""

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> CacheInputs:
        """The same reading of attest as publish's, less its checks (publish reports a bad value)."""
        mode = (inputs.get("attest") or inputs.get("attestation") or "auto").lower()
        oidc = bool(gha.env("ACTIONS_ID_TOKEN_REQUEST_URL"))
        pushes = inputs.get("push").lower() != "false"
        signs = pushes and (mode == "true" or (mode == "auto" and oidc))
        rerun = gha.is_rerun(gha.env("GITHUB_RUN_ATTEMPT", "1")) and inputs.get("rerun-attests").lower() != "false"
        if not (signs and rerun):
            return cls(signs=signs)
        # a re-run only (uncommon): a first attempt loads none of this
        from ..errors import ActionError
        from ..reuse import source_key
        from ..runner import paths

        component = None
        try:  # publish reads the same inputs and reports a bad one; here it only means no record to restore
            if inputs.get("component-path"):
                component = paths.workspace_input(
                    "component-path", inputs.get("component-path"), gha.workspace(), fix="", docs="#publish"
                )
            key = source_key.check_key(inputs.get("source-key"))
        except ActionError:
            return cls(signs=signs)
        return cls(signs=signs, rerun=True, component=component, source_key=key)


def attempt_record(inputs: CacheInputs) -> dict[str, str]:
    """The key prefix and path of the earlier attempts' records for this component's source key (empty without
    one): actions/cache/restore takes the prefix as its restore-keys."""
    from ..reuse import earlier_attempt, source_key

    key = inputs.source_key
    if not key and inputs.component is not None:
        handoff = source_key.read_handoff(gha.temp_dir(), inputs.component)
        key = handoff.key if handoff is not None else ""
    prefix = earlier_attempt.cache_prefix(gha.env("GITHUB_RUN_ID"), key) if key else ""
    if not prefix:
        return {"attempt-key": "", "attempt-path": ""}
    return {"attempt-key": prefix, "attempt-path": earlier_attempt.cache_path(key)}


def run(inputs: CacheInputs) -> dict[str, str]:
    if not inputs.signs:
        return {"path": "", "key": "", "attempt-key": "", "attempt-path": ""}
    where = extras.place()
    record = attempt_record(inputs) if inputs.rerun else {"attempt-key": "", "attempt-path": ""}
    return {"path": str(where.wheels), "key": where.key, **record}
