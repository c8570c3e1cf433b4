"""sigstore-cache: where sigstore's wheels live and their actions/cache key, for the publish step that signs.

The signing actions run it before publish so actions/cache can restore the wheels (each checked against
``requirements/sigstore.txt`` before it is unpacked, see ``extras``) instead of pip downloading them. Empty
outputs when publish will not sign, so nothing is restored or saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..runner import extras, gha


@dataclass(frozen=True)
class CacheInputs:
    signs: bool

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> CacheInputs:
        """The same reading of attest as publish's, less its checks (publish reports a bad value)."""
        mode = (inputs.get("attest") or inputs.get("attestation") or "auto").lower()
        oidc = bool(gha.env("ACTIONS_ID_TOKEN_REQUEST_URL"))
        pushes = inputs.get("push").lower() != "false"
        return cls(signs=pushes and (mode == "true" or (mode == "auto" and oidc)))


def run(inputs: CacheInputs) -> dict[str, str]:
    if not inputs.signs:
        return {"path": "", "key": ""}
    where = extras.place()
    return {"path": str(where.wheels), "key": where.key}
