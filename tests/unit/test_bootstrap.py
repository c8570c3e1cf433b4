"""scripts/bootstrap.py decides between the stdlib runtime (no venv) and a venv by what the lock pins."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
assert _spec and _spec.loader
bootstrap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootstrap)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("# only the standard library\n\n", []),
        ("--extra-index-url file:///opt/pypi/simple\n--find-links /opt/wheels\n", []),
        ("idna==3.20 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via requests\n", ["idna==3.20"]),
        (
            "certifi==1 \\\n    --hash=sha256:" + "b" * 64 + " \\\n    --hash=sha256:" + "c" * 64 + "\nurllib3==2\n",
            ["certifi==1", "urllib3==2"],
        ),
    ],
    ids=["empty", "comments", "index-options", "one-pin", "two-pins"],
)
def test_pinned(tmp_path, text, expected):
    lock = tmp_path / "runtime.txt"
    lock.write_text(text)
    assert bootstrap.pinned(lock) == expected


def test_repository_runtime_lock_is_read():
    pins = bootstrap.pinned(ROOT / "requirements" / "runtime.txt")
    assert all("==" in pin for pin in pins)
