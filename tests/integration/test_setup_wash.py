"""setup-wash in-process against a loopback release server serving the real wash binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WASH_VERSION
from tests.helpers import assert_one_clear_error, run_command


@pytest.fixture
def setup(monkeypatch, capfd, tmp_path, release_server):
    def run(version: str = WASH_VERSION, runner: Path | None = None, **inputs: str):
        release_server.store.requests.clear()
        return run_command(
            "setup-wash",
            {"wash-version": version, "download-base-url": release_server.url, **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=runner or tmp_path / "runner",
        )

    return run


def test_installs_into_tool_cache_and_path(setup, release_server, tmp_path):
    run = setup(f"v{WASH_VERSION}")
    assert run.code == 0, run.stdout
    wash = Path(run.outputs["wash-path"])
    assert wash == tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64" / "wash"
    assert (wash.parent.parent / "x64.complete").is_file()
    assert run.outputs["wash-version"] == WASH_VERSION
    assert run.outputs["cache-hit"] == "false"
    assert run.path == [str(wash.parent)]
    assert len(release_server.store.requests) == 1
    assert wash.read_bytes() == next(iter(release_server.store.assets.values()))


def test_cache_hit_makes_no_request(setup, release_server, tmp_path):
    assert setup().code == 0
    again = setup()
    assert again.code == 0
    assert again.outputs["cache-hit"] == "true"
    assert release_server.store.requests == []


def test_transient_server_errors_are_retried(setup, release_server, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)
    release_server.store.faults[:] = [500, 503]
    run = setup()
    assert run.code == 0, run.stdout
    assert len(release_server.store.requests) == 3


def test_unknown_version_is_one_clear_error_and_leaves_nothing(setup, release_server, tmp_path):
    run = setup("2.99.0")
    assert_one_clear_error(run, "wash 2.99.0 has no release asset")
    assert len(release_server.store.requests) == 1  # a 404 is never retried
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / "2.99.0" / "x64").exists()
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / "2.99.0" / "x64.complete").exists()
    assert "outputs" not in run.outputs


@pytest.mark.parametrize(
    ("version", "message"),
    [("1.0.0", "wash 1.0.0 is not supported"), ("two", "is not a version"), ("2.10", "is not a version")],
)
def test_bad_versions(setup, version, message):
    assert_one_clear_error(setup(version), message)


def test_wrong_binary_is_refused_and_removed(setup, release_server, tmp_path):
    asset = next(iter(release_server.store.assets))
    original = release_server.store.assets[asset]
    release_server.store.assets[asset] = b"#!/bin/sh\necho wash 0.0.1\n"
    try:
        run = setup()
    finally:
        release_server.store.assets[asset] = original
    assert_one_clear_error(run, "reports version")
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64.complete").exists()
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64").exists()
