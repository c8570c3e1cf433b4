"""Which tags publish reads before the push, and what a read made during the push gives."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from wash_actions.commands import publish
from wash_actions.errors import ActionError


def inputs(tags: tuple[str, ...], immutable: str) -> publish.PublishInputs:
    return publish.PublishInputs(
        component=Path("c.wasm"),
        registry="localhost:5000",
        repository="acme/c",
        tags=tags,
        credentials=None,
        insecure=True,
        wash_path="",
        immutable=immutable,
    )


@pytest.mark.parametrize(
    ("tags", "mode", "before"),
    [
        (("main", "sha-abc", "latest"), "releases", ["main"]),  # only the tag wash writes
        (("main", "1.2.3", "latest", "v2.0.0"), "releases", ["main", "1.2.3", "v2.0.0"]),
        (("1.2.3", "1.2", "1"), "releases", ["1.2.3"]),  # X.Y and X are not release tags
        (("main", "latest"), "all", ["main", "latest"]),
        (("1.2.3", "latest"), "none", ["1.2.3"]),
    ],
)
def test_tags_read_before_the_push(tags, mode, before):
    assert publish.read_before_push(inputs(tags, mode)) == before


def done(value: str | None = None, error: BaseException | None = None) -> Future[str]:
    future: Future[str] = Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value or "")
    return future


@pytest.mark.parametrize(
    ("future", "expected"),
    [
        (done("sha256:" + "a" * 64), "sha256:" + "a" * 64),
        (done(""), ""),
        (done(publish.UNKNOWN), ""),
        (done(error=ActionError(what="Registry localhost:5000 is unreachable", why="HTTP 503", fix="re-run")), ""),
    ],
    ids=["existing", "absent", "denied", "failed"],
)
def test_a_read_during_the_push_never_fails_the_publish(future, expected):
    assert publish.read_during_push(future) == expected


def test_a_bug_in_a_read_during_the_push_is_not_hidden():
    with pytest.raises(KeyError):
        publish.read_during_push(done(error=KeyError("bug")))
