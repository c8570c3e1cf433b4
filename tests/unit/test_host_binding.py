"""host_binding: a workload bound as a wasmCloud host binds it (bind_plugins, served_within_workload, linking)."""

from __future__ import annotations

import pytest

from wash_actions.component import interfaces
from wash_actions.workload import host_binding
from wash_actions.workload.host_binding import Declared, Entry, Member

WASI = (
    "wasi:io/poll@0.2.2",
    "wasi:io/streams@0.2.2",
    "wasi:cli/environment@0.2.2",
    "wasi:http/types@0.2.2",
)
HTTP = ("wasi:http/incoming-handler@0.2.2",)
BLOBBY = Member(
    "test",
    (
        *WASI,
        "wasi:blobstore/types@0.2.0-draft",
        "wasi:blobstore/container@0.2.0-draft",
        "wasi:blobstore/blobstore@0.2.0-draft",
        "wasi:logging/logging@0.1.0-draft",
    ),
    HTTP,
    None,
    30,
)
ECHO = Member(
    "messaging-echo",
    ("wasmcloud:messaging/types@0.2.0", "wasmcloud:messaging/consumer@0.2.0"),
    ("wasmcloud:messaging/handler@0.2.0",),
    None,
    20,
)


def declared(*texts: str) -> tuple[Declared, ...]:
    """``ns:pkg/a,b@version`` (``[name]`` after the package for a named entry), lines 10, 11, ..."""
    found = []
    for index, text in enumerate(texts):
        name = ""
        if "[" in text:
            text, name = text.replace("]", "").split(" [")[0] + text.split("]")[1], text.split("[")[1].split("]")[0]
        found.append(Declared(host_binding.entry(text, name=name), index, 10 + index))
    return tuple(found)


BLOBBY_DECLARED = declared(
    "wasi:http/incoming-handler",
    "wasi:blobstore/blobstore@0.2.0-draft",
    "wasi:logging/logging@0.1.0-draft",
)


def run(members, entries, host="wasmcloud", extra=()):
    plugins = host_binding.plugins_for(host, extra)
    always = interfaces.host_profile("wasmcloud") if host == "wasmcloud" else ()
    always = tuple(p for p in always if any(p.text == text for text in interfaces.ALWAYS))
    return host_binding.bind(members, entries, plugins, always=always, host=host)


def test_entries_parse_as_the_host_parses_them():
    assert host_binding.entry("wasi:blobstore/blobstore,container,types@0.2.0-draft") == Entry(
        "wasi", "blobstore", frozenset({"blobstore", "container", "types"}), "0.2.0-draft"
    )
    assert host_binding.entry("wasi:keyvalue/store@0.2").version == ""  # not semver: no version to the host
    assert host_binding.entry("wasi:http").interfaces == frozenset()


def test_blobby_binds_the_whole_blobstore_package_from_one_declared_interface():
    bindings, problems = run([BLOBBY], BLOBBY_DECLARED)
    assert problems == []
    by_import = {b.imported: b.provider for b in bindings}
    assert by_import["wasi:blobstore/container@0.2.0-draft"] == "hostInterfaces[1] wasi:blobstore (wasi-blobstore)"
    assert by_import["wasi:blobstore/types@0.2.0-draft"] == "hostInterfaces[1] wasi:blobstore (wasi-blobstore)"
    assert by_import["wasi:logging/logging@0.1.0-draft"] == "hostInterfaces[2] wasi:logging (wasi-logging)"
    assert by_import["wasi:io/poll@0.2.2"] == "host (WASI)"


def test_a_removed_host_interface_leaves_its_package_unlinked():
    _, problems = run([BLOBBY], BLOBBY_DECLARED[:2])
    (problem,) = problems
    assert problem.severity == "error" and problem.line == 30
    assert problem.what == (
        "component test imports 1 interface nothing in the workload provides: wasi:logging/logging@0.1.0-draft"
    )
    assert "namespace: wasi\n    package: logging\n    version: 0.1.0-draft" in problem.fix


def test_an_entry_the_host_lacks_is_refused_as_the_host_refuses_it():
    entries = declared("wasi:blobstore/blobstore@0.2.0-draft", "wasi:logging/logging@0.1.0-draft")
    member = BLOBBY._replace(imports=(*BLOBBY.imports, "wasmcloud:postgres/query@0.1.1-draft"))
    entries += (Declared(host_binding.entry("wasmcloud:postgres/query@0.1.1-draft"), 2, 12),)
    _, problems = run([member], entries)
    (problem,) = problems
    assert problem.line == 12
    assert "requested interfaces that are not available on this host: wasmcloud:postgres/query@0.1.1-draft" in (
        problem.what
    )
    # the user says the host has it: host-interfaces
    extra = interfaces.parse_patterns(["wasmcloud:postgres/*"], input_name="host-interfaces")
    bindings, problems = run([member], entries, extra=extra)
    assert problems == []
    assert {b.provider for b in bindings if "postgres" in b.imported} == {
        "hostInterfaces[2] wasmcloud:postgres (host-interfaces)"
    }


def test_a_declared_entry_no_component_uses_is_a_warning():
    entries = (*BLOBBY_DECLARED, Declared(host_binding.entry("wasi:keyvalue/store"), 3, 13))
    _, problems = run([BLOBBY], entries)
    assert [(p.severity, p.line) for p in problems] == [("warning", 13)]
    assert "used by no component" in problems[0].what


def test_messaging_binds_consumer_and_types_for_an_exported_handler():
    bindings, problems = run([ECHO], declared("wasmcloud:messaging/handler@0.2.0"))
    assert problems == []
    assert {b.provider for b in bindings} == {"hostInterfaces[0] wasmcloud:messaging (wasmcloud-messaging)"}


def test_messaging_at_0_3_links_the_async_revision_only():
    _, problems = run([ECHO], declared("wasmcloud:messaging/handler@0.3.0"))
    assert [p.severity for p in problems] == ["warning", "error"]  # 0.3 declared, 0.2 exported: unused, unlinked


def test_a_sibling_export_links_by_exact_name():
    consumer = Member("consumer", ("acme:greeter/greet@0.1.0",), (), None, 5)
    provider = Member("provider", (), ("acme:greeter/greet@0.1.0",), None, 8)
    bindings, problems = run([consumer, provider], ())
    assert problems == []
    assert bindings[0].provider == "component provider"
    other = provider._replace(exports=("acme:greeter/greet@0.1.1",))  # a sibling links by exact name
    _, problems = run([consumer, other], ())
    assert [p.severity for p in problems] == ["error"]


def test_an_entry_served_within_the_workload_needs_no_plugin():
    consumer = Member("consumer", ("acme:greeter/greet@0.1.0",), (), None, 5)
    provider = Member("provider", (), ("acme:greeter/greet@0.1.0",), None, 8)
    entries = declared("acme:greeter/greet@0.1.0")
    _, problems = run([consumer, provider], entries)
    # the provider exports it and so "requires" it from a plugin: the host refuses, as bind_plugins does
    assert [(p.severity, p.what.split(":")[0]) for p in problems] == [
        ("error", "component provider requested interfaces that are not available on this host")
    ]


@pytest.mark.parametrize(
    ("allowed", "warned"),
    [(None, "missing"), ((), "empty"), (("api.example.com",), ""), (("*",), "")],
)
def test_the_allowed_hosts_trap(allowed, warned):
    member = Member("web", ("wasi:http/outgoing-handler@0.2.2",), HTTP, allowed, 7)
    _, problems = run([member], declared("wasi:http/incoming-handler"))
    if not warned:
        assert problems == []
        return
    (problem,) = problems
    assert problem.severity == "warning" and problem.line == 7
    assert problem.what.endswith(f"allowedHosts is {warned}")
    assert "components:\n  - name: web\n    localResources:\n      allowedHosts:" in problem.fix


def test_host_none_links_nothing():
    bindings, problems = run([BLOBBY], BLOBBY_DECLARED, host="none")
    assert all(not b.provider for b in bindings)
    assert [p.severity for p in problems] == ["error", "error", "error"]


def test_an_interface_two_siblings_export_is_refused_as_the_host_refuses_it():
    consumer = Member("consumer", ("acme:greeter/greet@0.1.0",), (), None, 5)
    one = Member("one", (), ("acme:greeter/greet@0.1.0",), None, 8)
    two = Member("two", (), ("acme:greeter/greet@0.1.0",), None, 11)
    _, problems = run([consumer, one, two], ())
    (problem,) = problems
    assert problem.line == 5
    assert problem.what == (
        "component consumer imports acme:greeter/greet@0.1.0, which 2 components of the workload export (one, two)"
    )


def test_components_importing_from_each_other_in_a_circle():
    a = Member("a", ("acme:b/api@1.0.0",), ("acme:a/api@1.0.0",), None, 5)
    b = Member("b", ("acme:c/api@1.0.0",), ("acme:b/api@1.0.0",), None, 8)
    c = Member("c", ("acme:a/api@1.0.0",), ("acme:c/api@1.0.0",), None, 11)
    _, problems = run([a, b, c], ())
    (problem,) = problems
    assert problem.what == "components a → b → c → a import from each other in a circle"
    _, problems = run([a, b, c._replace(imports=())], ())
    assert problems == []


PATTERNS = interfaces.parse_patterns


@pytest.mark.parametrize(
    ("imported", "extra", "deny", "workload", "provider", "denied"),
    [
        ("wasi:io/poll@0.2.9", "", "", (), "host (wasmcloud)", ""),
        ("wasi:sockets/tcp@0.2.9", "", "wasi:sockets/*", (), "host (wasmcloud)", "wasi:sockets/*"),
        ("acme:greeter/greet@0.1.0", "acme:greeter/*@0.1", "", (), "host-interfaces (acme:greeter/*@0.1)", ""),
        ("acme:greeter/greet@0.1.0", "", "", (("p.wasm", ("acme:greeter/greet@0.1.3",)),), "workload: p.wasm", ""),
        ("acme:greeter/greet@0.1.0", "", "", (("p.wasm", ("acme:greeter/greet@0.2.0",)),), "", ""),
        ("wasi:keyvalue/store@0.1.0", "", "", (), "", ""),  # the host's bindings are 0.2.0-draft
        ("greet", "", "", (), "", ""),
    ],
)
def test_resolve_imports_of_a_component_on_its_own(imported, extra, deny, workload, provider, denied):
    (found,) = host_binding.resolve_imports(
        [imported],
        host="wasmcloud",
        host_patterns=interfaces.host_profile("wasmcloud"),
        extra=PATTERNS([extra], input_name="host-interfaces"),
        deny=PATTERNS([deny], input_name="deny-imports"),
        workload=workload,
    )
    assert (found.provider, found.denied) == (provider, denied)
