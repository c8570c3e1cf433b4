"""Every wash child process has an overall deadline; past it the whole process group is killed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers import time_limit
from wash_actions.errors import ActionError
from wash_actions.toolchain import wash


@pytest.mark.parametrize(
    ("args", "env", "seconds"),
    [
        (["build"], {}, 3600.0),
        (["oci", "push"], {}, 900.0),
        (["oci", "pull"], {}, 900.0),
        (["config", "info"], {}, 600.0),
        (["build"], {wash.TIMEOUT_ENV: "5"}, 5.0),
        (["oci", "push"], {wash.TIMEOUT_ENV: "0.5"}, 0.5),
        (["build"], {wash.TIMEOUT_ENV: "soon"}, 3600.0),
        (["build"], {wash.TIMEOUT_ENV: "-1"}, 3600.0),
    ],
)
def test_timeout_for(args: list[str], env: dict[str, str], seconds: float) -> None:
    assert wash.timeout_for(args, env) == seconds


@pytest.mark.skipif(os.name == "nt", reason="a POSIX shell script stands in for wash")
def test_a_hung_wash_and_its_children_are_killed_at_the_deadline(tmp_path: Path) -> None:
    marker = tmp_path / "child-survived"
    fake = tmp_path / "wash"
    fake.write_text(f"#!/bin/sh\necho compiling\n(sleep 5; touch {marker}) &\nsleep 30\n")
    fake.chmod(0o755)
    with time_limit(5, "a hung wash with a 1 s deadline"), pytest.raises(ActionError) as caught:
        wash.run(str(fake), ["build"], timeout=1)
    assert "wash build did not finish within 1 s" in caught.value.what
    assert wash.TIMEOUT_ENV in caught.value.fix
    assert "compiling" in caught.value.details
    time.sleep(5.5)
    assert not marker.exists()  # the background child went with the group


def test_a_quick_wash_is_unaffected(tmp_path: Path) -> None:
    fake = tmp_path / "wash"
    fake.write_text('#!/bin/sh\necho \'{"message": "ok", "success": true, "data": {}}\'\n')
    fake.chmod(0o755)
    result = wash.run(str(fake), ["config", "info"], timeout=10)
    assert result.returncode == 0 and result.envelope is not None and result.envelope.success
