"""release.SideBySide: publish's registry requests, side by side on plain threads."""

from __future__ import annotations

import threading
import time

import pytest

from wash_actions import release


def test_results_come_in_the_order_of_the_names_whatever_the_order_they_finish() -> None:
    def work(name: str) -> str:
        time.sleep(0.01 * (5 - int(name)))  # the last name finishes first
        return f"done {name}"

    assert release.side_by_side(work, ["0", "1", "2", "3", "4"]) == [f"done {n}" for n in "01234"]


def test_an_exception_takes_the_place_of_its_result_and_the_others_still_run() -> None:
    ran: list[str] = []

    def work(name: str) -> str:
        ran.append(name)
        if name == "b":
            raise ValueError("b failed")
        return name

    a, b, c = release.side_by_side(work, ["a", "b", "c"])
    assert (a, c) == ("a", "c")
    assert isinstance(b, ValueError) and str(b) == "b failed"
    assert sorted(ran) == ["a", "b", "c"]


def test_at_most_side_by_side_calls_run_at_once_and_they_do_overlap() -> None:
    lock = threading.Lock()
    running = peak = 0

    def work(name: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return name

    names = [str(n) for n in range(3 * release.SIDE_BY_SIDE)]
    assert release.side_by_side(work, names) == names
    assert 2 <= peak <= release.SIDE_BY_SIDE


def test_the_calls_start_at_once_and_the_caller_goes_on_meanwhile() -> None:
    started = threading.Event()
    release_it = threading.Event()

    def work(name: str) -> str:
        started.set()
        release_it.wait(5)
        return name

    pending = release.SideBySide(work, ["only"])
    assert started.wait(5), "the call did not start before results() was asked for"
    release_it.set()
    assert pending.results() == ["only"]


def test_no_names() -> None:
    assert release.side_by_side(lambda name: name, []) == []


@pytest.mark.parametrize("failing", [0, 2])
def test_tag_reads_raise_the_first_failure_in_tag_order(failing: int) -> None:
    class Client:
        def find_manifest(self, repository: str, tag: str) -> None:
            if tag in (f"t{failing}", "t3"):
                raise RuntimeError(f"{tag} unreachable")
            return None

    reads = release.TagReads(Client(), "acme/x", ["t0", "t1", "t2", "t3"])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=f"t{failing} unreachable"):
        reads.result()
