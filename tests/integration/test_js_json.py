"""js_json against the real thing: node's ``JSON.stringify(JSON.parse(text))`` is the oracle for every text.

Node is the Sigstore test stack's (the official clients the attestation bytes must equal run on it).
"""

from __future__ import annotations

import json
import random
import struct
import subprocess

from tests.stacks import sigstore_stack
from wash_actions.trust import js_json

TEXTS = [
    "10",
    "10.0",
    "1e2",
    "1e21",
    "1e20",
    "0.000001",
    "1e-7",
    "-0",
    "-0.0",
    "12345678901234567890",
    "9007199254740993",
    "5e-324",
    "1.7976931348623157e308",
    "123e-20",
    '{"b":1,"2":2,"1":3,"01":4,"4294967294":5,"4294967295":6,"-1":7,"1.5":8,"a":{"10":1,"9":2}}',
    '"\\u0000\\u001f\\u007f\\u2028\\u2029 é 😀 \\ud83d\\ude00 \\/ \\b\\f\\n\\r\\t\\"\\\\"',
    '{"a":1,"a":2,"b":3}',
    '{"__proto__":{"x":1},"constructor":2}',
    "[1.5,2.25e-10,123456789.123456789,0.1,0.2,3.0000000000000004,-1e-300,1E+5]",
    '{"specVersion":"1.6","version":10,"nested":[[[{"10":10.0,"0":0.0}]]],"empty":{},"none":[]}',
    "true",
    "null",
    ' \n\t{ "spaced" : [ 1 , 2 ] } ',
]


def node_round_trip(texts: list[str]) -> list[str]:
    script = (
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map((t) => JSON.stringify(JSON.parse(t)))));"
    )
    proc = subprocess.run(
        [sigstore_stack.node(), "-e", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)


def random_doubles(count: int) -> list[str]:
    """Doubles across the whole range (random bit patterns, finite only), in Python's shortest form."""
    rng = random.Random(31)
    found: list[str] = []
    while len(found) < count:
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):
            found.append(repr(value))
    return found


def test_stringify_of_parse_is_nodes_for_every_text():
    texts = TEXTS + random_doubles(2000) + [str(random.Random(7).randrange(10**25)) for _ in range(200)]
    theirs = node_round_trip(texts)
    ours = [js_json.stringify(js_json.parse(text)) for text in texts]
    differ = [(text, o, t) for text, o, t in zip(texts, ours, theirs, strict=True) if o != t]
    assert not differ, differ[:5]


def test_a_lone_surrogate_is_written_as_node_writes_it():
    """parse refuses lone surrogates; a value that holds one anyway is escaped as well-formed JSON.stringify does."""
    theirs = node_round_trip(['["\\ud800", "a\\udc00b", {"\\udfff": 1}]'])[0]
    assert js_json.stringify(["\ud800", "a\udc00b", {"\udfff": 1}]) == theirs
