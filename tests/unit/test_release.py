"""release: publish's registry steps (push once, tag, read the tags back) and SideBySide, its plain threads."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from tests.helpers import commit_time
from tests.stacks import proxy as proxy_stack
from tests.stacks import registry as registry_stack
from wash_actions.errors import ActionError
from wash_actions.oci import layout, push
from wash_actions.oci.registry import Credentials, Registry, RegistryError


def test_results_come_in_the_order_of_the_names_whatever_the_order_they_finish() -> None:
    def work(name: str) -> str:
        time.sleep(0.01 * (5 - int(name)))  # the last name finishes first
        return f"done {name}"

    assert push.side_by_side(work, ["0", "1", "2", "3", "4"]) == [f"done {n}" for n in "01234"]


def test_an_exception_takes_the_place_of_its_result_and_the_others_still_run() -> None:
    ran: list[str] = []

    def work(name: str) -> str:
        ran.append(name)
        if name == "b":
            raise ValueError("b failed")
        return name

    a, b, c = push.side_by_side(work, ["a", "b", "c"])
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

    names = [str(n) for n in range(3 * push.SIDE_BY_SIDE)]
    assert push.side_by_side(work, names) == names
    assert 2 <= peak <= push.SIDE_BY_SIDE


def test_the_calls_start_at_once_and_the_caller_goes_on_meanwhile() -> None:
    started = threading.Event()
    release_it = threading.Event()

    def work(name: str) -> str:
        started.set()
        release_it.wait(5)
        return name

    pending = push.SideBySide(work, ["only"])
    assert started.wait(5), "the call did not start before results() was asked for"
    release_it.set()
    assert pending.results() == ["only"]


def test_no_names() -> None:
    assert push.side_by_side(lambda name: name, []) == []


@pytest.mark.parametrize("failing", [0, 2])
def test_tag_reads_raise_the_first_failure_in_tag_order(failing: int) -> None:
    class Client:
        def find_manifest(self, repository: str, tag: str) -> None:
            if tag in (f"t{failing}", "t3"):
                raise RuntimeError(f"{tag} unreachable")
            return None

    reads = push.TagReads(Client(), "acme/x", ["t0", "t1", "t2", "t3"])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=f"t{failing} unreachable"):
        reads.result()


# -- push once, then tag: against a real registry (docker-registry on loopback) ------------------------------


def _artifact() -> tuple[layout.Artifact, bytes]:
    payload = b"\x04test" + secrets.token_bytes(16)  # a custom section: a new component, new blobs
    wasm = b"\0asm\x0d\x00\x01\x00\x00" + bytes([len(payload)]) + payload
    return layout.build(wasm, commit_time()), wasm


def _client(host: str, credentials: Credentials | None = None) -> Registry:
    return Registry(host, insecure=True, credentials=credentials, sleep=lambda seconds: None)


def test_push_sends_what_is_missing_once(registry):
    made, wasm = _artifact()
    client = _client(registry.host)
    first = push.push(client, "unit/push", made, wasm, {})
    assert first == push.Pushed((made.layer_digest, made.config_digest), manifest_stored=True)
    assert registry.manifest("unit/push", made.digest).content == made.manifest.body
    assert push.push(client, "unit/push", made, wasm, {}) == push.Pushed((), manifest_stored=False)
    # a tag already naming the digest proves it is there: not even a HEAD
    assert push.push(client, "unit/push", made, wasm, {"v1": made.digest}) == push.Pushed((), False)


def test_push_uploads_only_the_blob_the_repository_lacks(registry):
    made, wasm = _artifact()
    client = _client(registry.host)
    client.upload_blob("unit/partial", wasm)
    assert push.push(client, "unit/partial", made, wasm, {}).uploaded == (made.config_digest,)


def test_tag_creates_moves_and_leaves_tags(registry):
    old, old_wasm = _artifact()
    new, new_wasm = _artifact()
    client = _client(registry.host)
    repo = "unit/tags"
    push.push(client, repo, old, old_wasm, {})
    first = push.tag(client, repo, "img", old.manifest, {"v1": "", "latest": ""})
    assert first == push.Tagged(moved={}, created=("v1", "latest"), unchanged=())
    push.push(client, repo, new, new_wasm, {})
    previous = push.TagReads(client, repo, ["v1", "latest", "v2"]).result()
    assert previous == {"v1": old.digest, "latest": old.digest, "v2": ""}
    second = push.tag(client, repo, "img", new.manifest, {"latest": old.digest, "v2": ""})
    assert second == push.Tagged(moved={"latest": old.digest}, created=("v2",), unchanged=())
    assert {t: client.resolve(repo, t) for t in ("v1", "latest", "v2")} == {
        "v1": old.digest,
        "latest": new.digest,
        "v2": new.digest,
    }
    again = push.tag(client, repo, "img", new.manifest, {"latest": new.digest, "v2": new.digest})
    assert again == push.Tagged(moved={}, created=(), unchanged=("latest", "v2"))


def test_a_tag_that_fails_is_named_and_the_others_still_move(registry):
    made, wasm = _artifact()
    with proxy_stack.serving(registry.url) as proxy:
        proxy.faults.put(proxy_stack.Fault.status(400, method="PUT", path=r"/manifests/b$").persistent())
        client = _client(proxy.host)
        push.push(client, "unit/failing", made, wasm, {})
        with pytest.raises(ActionError) as caught:
            push.tag(client, "unit/failing", "img", made.manifest, {"a": "", "b": "", "c": ""})
    assert caught.value.what.startswith(f"Published img@{made.digest} but could not tag b (1 of 3 tags)")
    assert "Naming " + made.digest + ": a, c." in caught.value.why and "HTTP 400" in caught.value.why
    assert registry.tags("unit/failing") == ["a", "c"]


def test_a_tag_read_denied_is_unknown_and_any_other_failure_stops(auth_registry, registry):
    assert push.previous_digest(_client(auth_registry.host), "unit/x", "v1") == push.UNKNOWN
    assert push.previous_digest(_client(registry.host), "unit/none", "v1") == ""
    closed = _client(f"127.0.0.1:{registry_stack.free_port()}")
    with pytest.raises(RegistryError) as caught:
        push.previous_digest(closed, "unit/x", "v1")
    assert caught.value.kind == "unreachable"


@pytest.mark.parametrize(("kind", "unknown"), [("denied", True), ("refused", False), ("unreachable", False)])
def test_what_a_failed_tag_read_means_follows_the_kind_not_the_wording(kind, unknown):
    class Client:
        def find_manifest(self, repository: str, tag: str) -> None:
            raise RegistryError("Reworded", "whatever", "fix", "#publish", kind=kind, host="r.test", status=403)

    if unknown:
        assert push.previous_digest(Client(), "acme/x", "v1") == push.UNKNOWN  # type: ignore[arg-type]
    else:
        with pytest.raises(RegistryError):
            push.previous_digest(Client(), "acme/x", "v1")  # type: ignore[arg-type]


IMMUTABLE_IMAGE = "ghcr.io/acme/c"
NEW = "sha256:" + "1" * 64
OLD = "sha256:" + "2" * 64


@pytest.mark.parametrize(
    ("previous", "mode", "refused"),
    [
        ({"1.0.0": NEW, "latest": OLD}, "releases", False),  # a re-run: the release tag already names this digest
        ({"1.0.0": OLD, "latest": OLD}, "releases", True),
        ({"1.0.0": "", "latest": OLD}, "releases", False),
        ({"1.0.0": OLD}, "none", False),
        ({"latest": OLD}, "all", True),
        ({"latest": NEW}, "all", False),
        ({"latest": push.UNKNOWN}, "all", False),  # unreadable: warned about, not enforceable
    ],
)
def test_immutable_tags_accept_the_same_digest_only(previous, mode, refused):
    if refused:
        with pytest.raises(ActionError, match="Refusing to move published release tag"):
            push.check_immutable(previous, IMMUTABLE_IMAGE, NEW, mode)
    else:
        push.check_immutable(previous, IMMUTABLE_IMAGE, NEW, mode)
