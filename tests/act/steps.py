"""Workflow steps the act tests share, written as users write them."""

from __future__ import annotations

from tests.conftest import WASH_VERSION


def setup_wash(api_url: str, version: str = WASH_VERSION, *, verify: bool = False) -> str:
    """The setup-wash step (id ``setup``) against the Releases API fake, as a list item of a job's steps."""
    return f"""      - id: setup
        uses: acme/wash-actions/actions/setup-wash@v1
        with:
          wash-version: {version}
          github-api-url: {api_url}
          verify: {str(verify).lower()}"""
