"""Interface patterns and the component model's semver rule, as Wasmtime's linker applies it."""

from __future__ import annotations

import pytest

from wash_actions.component import interfaces
from wash_actions.errors import ActionError
from wash_actions.runner.sizes import parse_size


@pytest.mark.parametrize(
    ("wanted", "offered", "ok"),
    [
        ("0.2.3", "0.2.9", True),
        ("0.2.9", "0.2.3", True),  # the host links a newer or older patch of the same 0.2 track
        ("0.2.3", "0.3.0", False),
        ("1.2.0", "1.9.3", True),
        ("1.2.0", "2.0.0", False),
        ("0.0.1", "0.0.2", False),
        ("0.0.1", "0.0.1", True),
        ("0.2.0-draft", "0.2.0", False),
        ("0.2.0-draft", "0.2.0-draft", True),
        ("0.2.0-rc.1", "0.2.0-rc.2", False),
        ("0.3.0-rc-2025-09-16", "0.3", True),  # a track takes its prereleases
        ("0.2.9", "0.2", True),
        ("1.4.0", "1", True),
        ("0.2.3", "", True),
        ("", "0.2.3", True),
    ],
)
def test_semver_compatibility(wanted, offered, ok):
    assert interfaces.compatible(wanted, offered) is ok


@pytest.mark.parametrize(
    ("pattern", "name", "ok"),
    [
        ("wasi:sockets/*", "wasi:sockets/tcp@0.2.9", True),
        ("wasi:sockets/*", "wasi:socketsx/tcp@0.2.9", False),
        ("wasi:*", "wasi:http/types@0.2.3", True),
        ("wasi:*", "wasmcloud:messaging/consumer@0.2.0", False),
        ("wasi:keyvalue/store", "wasi:keyvalue/store@0.2.0-draft", True),
        ("wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/store@0.2.0-draft", True),
        ("wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/store@0.2.0", False),
        ("acme:greeter/greet@0.1.0", "acme:greeter/greet@0.1.4", True),
        ("*", "anything", True),
        ("greet", "greet", True),
        ("greet", "wasi:greet/greet", False),
    ],
)
def test_patterns(pattern, name, ok):
    assert interfaces.parse_pattern(pattern, input_name="host-interfaces").matches(name) is ok


@pytest.mark.parametrize("bad", ["wasi:", "wasi:io", "WASI:io/poll", "wasi:io/poll@", "wasi:io/po ll", "::"])
def test_bad_patterns(bad):
    with pytest.raises(ActionError, match="is not an interface pattern"):
        interfaces.parse_pattern(bad, input_name="deny-imports")


def test_patterns_one_per_line_or_comma_separated_with_comments():
    found = interfaces.parse_patterns(["wasi:sockets/*, wasi:http/*  # no network", "", "acme:*"], input_name="x")
    assert [p.text for p in found] == ["wasi:sockets/*", "wasi:http/*", "acme:*"]


def test_the_wasmcloud_profile_has_wasi_and_the_default_plugins_of_wash_host_only():
    profile = interfaces.host_profile("wasmcloud")
    provided = {
        name: any(p.matches(name) for p in profile)
        for name in (
            "wasi:io/poll@0.2.9",
            "wasi:http/outgoing-handler@0.2.3",
            "wasi:sockets/tcp@0.2.0",
            "wasi:keyvalue/store@0.2.0-draft",
            "wasi:config/store@0.2.0-rc.1",
            "wasi:blobstore/container@0.2.0-draft",
            "wasi:logging/logging",
            "wasmcloud:messaging/consumer@0.2.0",  # registered by `wash host` by default
            "wasmcloud:secrets/reveal@2.1.0",
            "wasmcloud:postgres/query@0.1.1-draft",  # opt-in (--postgres-url), not in the profile
            "wasi:config/store@0.2.0-draft",  # the host links rc.1 only
            "wasi:keyvalue/store@0.1.0",  # the plugin's bindings are 0.2.0-draft
        )
    }
    assert [name for name, ok in provided.items() if not ok] == [
        "wasmcloud:postgres/query@0.1.1-draft",
        "wasi:config/store@0.2.0-draft",
        "wasi:keyvalue/store@0.1.0",
    ]
    assert interfaces.host_profile("none") == ()


@pytest.mark.parametrize(
    ("raw", "size"),
    [("512KiB", 524288), ("20MiB", 20 << 20), ("1.5MB", 1_500_000), ("300000", 300000), ("1 GiB", 1 << 30), ("", None)],
)
def test_sizes(raw, size):
    assert parse_size(raw) == size


@pytest.mark.parametrize("raw", ["1e400GB", "9" * 400, "99999999999999999999TiB", "-1", "1.5.5MB", "10 XB"])
def test_sizes_that_overflow_or_are_not_sizes_are_one_clear_error(raw):
    with pytest.raises(ActionError, match="is not a size check can use"):
        parse_size(raw)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("wasi:io/poll@0.2.9", True),
        ("wasi:http/incoming-handler", True),
        ("wasmcloud:secrets:store/reveal@0.1.0-draft", True),  # nested package
        ("wrpc:keyvalue/Store", True),  # an interface name may be upper case (wit-bindgen's resources)
        ("greet", True),
        ("run-Again2", True),
        ("x\n::error::injected", False),  # a workflow command hidden in a name
        ("wasi::io/poll", False),
        ("wasi:io/poll@", False),
        ("wasi:io/poll@0.2.0\n", False),
        ("Wasi:io/poll", False),
        ("2run", False),
        ("", False),
        ("<img src=x>", False),
    ],
)
def test_component_model_names(name: str, ok: bool) -> None:
    assert interfaces.is_model_name(name) is ok
