"""setup-wash under act judges wash's provenance by the signing run, as on GitHub: release eras accepted, a caller
of wasmCloud's reusable workflow refused (the current release-tag.yml era runs in test_pipeline)."""

from __future__ import annotations

import pytest

from tests.act import steps
from tests.stacks import upstream

pytestmark = pytest.mark.act


@pytest.mark.parametrize("gh", [False, True], ids=["sigstore", "gh-on-path"])
@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        pytest.param(upstream.WASH_TAG_CLAIMS, True, id="wash-yml-tag-push"),
        pytest.param(upstream.CALLER_CLAIMS, False, id="caller-of-a-wasmcloud-reusable-workflow"),
    ],
)
def test_setup_wash_verifies_the_signing_run(
    act, release_server, sigstore, wash_binary, tmp_path, claims, accepted, gh
):
    """With gh on PATH (as on every GitHub-hosted image) the same judgement, with nothing installed."""
    workflow = f"""
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url, verify=True)}
"""
    env = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)}
    with upstream.provenance_signed_by(release_server.store, sigstore, wash_binary, claims):
        # a cold runner: its own tool cache and actions/cache store, so wash is downloaded and verified
        result = act.run(
            workflow,
            env=env,
            name=f"provenance-{accepted}-{gh}",
            cache=tmp_path / "action-cache",
            cache_store=tmp_path / "cache-store",
            gh=gh,
        )
    assert ("Installing sigstore" in result.log) is not gh
    if accepted:
        assert result.returncode == 0, result.log[-4000:]
        assert "signed by https://github.com/wasmCloud/wasmCloud/.github/workflows/wash.yml@refs/tags/v" in result.log
        assert ("with the GitHub CLI (gh attestation verify): signed by" in result.log) is gh
    else:
        assert result.returncode != 0
        (error,) = result.errors()
        assert "could not be verified" in error
        assert "source repository https://github.com/mallory/app" in error, error
