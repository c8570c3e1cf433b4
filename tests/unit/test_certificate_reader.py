"""The standard-library DER reader that names a signer gh refused: it reads what cryptography reads, and hostile
certificates (deep nesting, huge OIDs, lying lengths) end in None quickly. The hostile cases run in a subprocess
bounded by a timeout (the reader used to recurse without bound and decode OIDs in super-linear time)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_verifier_unit import RELEASE_SAN, WORKFLOWS, bundle, certificate, statement
from wash_actions.trust import certificate_reader, sigstore_verifier
from wash_actions.trust.certificate_reader import DerError, oid_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "sans",
    [
        (RELEASE_SAN,),
        ("https://example.com/other", WORKFLOWS + "release-tag.yml@refs/heads/main"),
        (WORKFLOWS + "wash.yml@refs/tags/v2.10.3-" + "a" * 300,),  # long values: two-byte lengths
    ],
)
def test_it_reads_what_cryptography_reads(sans):
    from cryptography.hazmat.primitives import serialization

    cert = certificate(*sans, repo="https://github.com/wasmCloud/wasmCloud")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert certificate_reader.certificate_identity(der) == sigstore_verifier.signer_identity(cert)


def test_it_reads_the_calling_workflow_of_a_reusable_workflow():
    from cryptography.hazmat.primitives import serialization

    caller = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0"
    cert = certificate(WORKFLOWS + "wasm-component.yml@refs/tags/v1", repo="https://github.com/acme/app", config=caller)
    identity = certificate_reader.certificate_identity(cert.public_bytes(serialization.Encoding.DER))
    assert identity is not None and identity.build_config == caller
    assert identity == sigstore_verifier.signer_identity(cert)


def test_it_reads_a_bundles_leaf_certificate():
    identity = certificate_reader.bundle_identity(bundle(payload=statement("00" * 32)))
    assert identity is not None and identity.build_signer == RELEASE_SAN and identity.sans == (RELEASE_SAN,)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b"{}", b'{"verificationMaterial": {"certificate": {"rawBytes": "%%%"}}}'],
)
def test_an_unreadable_bundle_names_nobody(raw):
    assert certificate_reader.bundle_identity(raw) is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (bytes([0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xBF, 0x30, 0x01, 0x09]), "1.3.6.1.4.1.57264.1.9"),
        (bytes([0x55, 0x1D, 0x11]), "2.5.29.17"),
        (bytes([0x88, 0x37]), "2.999"),  # a first arc above 80
    ],
)
def test_oids(raw, text):
    assert oid_text(raw) == text


@pytest.mark.parametrize(
    "raw",
    [b"", bytes([0x2B, 0x86]), bytes([0x2B]) + b"\x81" * 9 + b"\x01", b"\x2b" * 65],
    ids=["empty", "unterminated", "oversized-arc", "too-long"],
)
def test_bad_oids_are_refused(raw):
    with pytest.raises(DerError):
        oid_text(raw)


def hostile(kind: str) -> bytes:
    """A DER blob built to hurt a naive reader."""
    if kind == "deep":  # 200,000 nested SEQUENCEs (a recursive reader overflows the stack)
        headers, length = [], 0
        for _ in range(200_000):  # from the inside out; joined once (prepending would be quadratic)
            header = b"\x30" + (bytes([length]) if length < 0x80 else b"\x84" + length.to_bytes(4, "big"))
            headers.append(header)
            length += len(header)
        return b"".join(reversed(headers))
    if kind == "huge-oid":  # an Extension whose OID is one 1 MiB arc (quadratic to decode, unprintable as int)
        oid = b"\x2b" + b"\xff" * (1 << 20) + b"\x01"
        octets = b"\x04\x02\x0c\x00"
        inner = b"\x06\x84" + len(oid).to_bytes(4, "big") + oid + octets
        return b"\x30\x84" + len(inner).to_bytes(4, "big") + inner
    if kind == "wide":  # 1,000,000 empty SEQUENCEs side by side
        inner = b"\x30\x00" * 1_000_000
        return b"\x30\x84" + len(inner).to_bytes(4, "big") + inner
    if kind == "lying-length":  # a length beyond the data, and a 127-byte length field
        return b"\x30\x84\xff\xff\xff\xff\x30\x00" + b"\x30\xff" + b"\xff" * 127
    raise AssertionError(kind)


READER = """
import base64, json, sys
from wash_actions.trust import certificate_reader
der = open(sys.argv[1], "rb").read()
print(json.dumps([certificate_reader.certificate_identity(der[:65536]) is None,
                  certificate_reader.bundle_identity(json.dumps({"verificationMaterial": {"certificate": {
                      "rawBytes": base64.b64encode(der).decode()}}}).encode()) is None]))
try:
    certificate_reader.extensions(der)
    print("read")
except certificate_reader.DerError as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("kind", ["deep", "huge-oid", "wide", "lying-length"])
def test_hostile_certificates_end_quickly_in_nothing(tmp_path, kind):
    blob = tmp_path / "hostile.der"
    blob.write_bytes(hostile(kind))
    proc = subprocess.run(
        [sys.executable, "-c", READER, str(blob)],
        capture_output=True,
        text=True,
        timeout=60,  # the bound: a reader that spins or recurses fails here, not by a wall-clock assertion
        env={"PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names, verdict = proc.stdout.splitlines()
    assert json.loads(names) == [True, True]
    assert verdict.startswith("refused:"), verdict


def test_the_reader_is_told_apart_from_a_bundle_without_a_certificate():
    raw = json.dumps({"verificationMaterial": {"publicKey": {"hint": "x"}}}).encode()
    assert certificate_reader.bundle_identity(raw) is None
    der = base64.b64encode(b"\x30\x00").decode()
    empty = json.dumps({"verificationMaterial": {"certificate": {"rawBytes": der}}}).encode()
    identity = certificate_reader.bundle_identity(empty)
    assert identity is not None and identity.sans == () and identity.build_signer == ""
