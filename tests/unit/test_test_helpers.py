"""The tests' own helpers, where a mistake would let a test pass that should fail."""

from __future__ import annotations

import time

import pytest

from tests.helpers import OverTime, time_limit


def test_time_limit_stops_a_block_that_runs_past_it_and_passes_one_that_does_not() -> None:
    with pytest.raises(OverTime, match=r"sleeping was still running after 0\.05 s"), time_limit(0.05, "sleeping"):
        time.sleep(5)
    with time_limit(5, "nothing"):
        pass
    time.sleep(0.1)  # the alarm was cancelled: nothing fires after the block


def test_time_limit_is_not_swallowed_by_except_exception() -> None:
    def swallowing() -> None:
        try:
            time.sleep(5)
        except Exception:  # what __main__ does with a bug: it must not catch the bound
            pass

    with pytest.raises(OverTime), time_limit(0.05, "a block that catches Exception"):
        swallowing()
