"""A re-run completes an earlier attempt's publish only when the record says this very run pushed that digest."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from wash_actions.reuse import earlier_attempt
from wash_actions.reuse.earlier_attempt import Record

KEY = "sha256:" + "ab" * 32
DIGEST = "sha256:" + "12" * 32
RECORD = Record("4242", 1, "acme/app", "ghcr.io/acme/app", KEY, DIGEST)
HERE = {
    "run_id": "4242",
    "attempt": "2",
    "repository": "acme/app",
    "image": "ghcr.io/acme/app",
    "key": KEY,
    "digest": DIGEST,
}


def test_the_record_of_this_runs_earlier_attempt_for_this_digest_completes() -> None:
    assert earlier_attempt.refusal(RECORD, **HERE) == ""
    assert earlier_attempt.refusal(RECORD._replace(attempt=2), **{**HERE, "attempt": "3"}) == ""


@pytest.mark.parametrize(
    ("record", "here", "why"),
    [
        (RECORD._replace(run_id="4241"), {}, "from workflow run 4241, not this run (4242)"),
        (RECORD, {"run_id": ""}, "not this run (unknown)"),
        (RECORD, {"attempt": "1"}, "from attempt 1, not an earlier attempt than this one (1)"),
        (RECORD._replace(attempt=3), {}, "from attempt 3, not an earlier attempt"),
        (RECORD._replace(attempt=0), {}, "from attempt 0"),
        (RECORD, {"attempt": ""}, "not an earlier attempt than this one ()"),
        (RECORD._replace(repository="fork/app"), {}, "from the repository fork/app, not acme/app"),
        (RECORD._replace(image="ghcr.io/acme/other"), {}, "for ghcr.io/acme/other, not ghcr.io/acme/app"),
        (RECORD._replace(key="sha256:" + "cd" * 32), {}, "for the source key sha256:cdcd"),
        (RECORD, {"digest": "sha256:" + "34" * 32}, f"attempt 1 of this run pushed {DIGEST}, not sha256:3434"),
    ],
)
def test_anything_else_is_refused_with_the_reason(record: Record, here: dict[str, str], why: str) -> None:
    assert why in earlier_attempt.refusal(record, **{**HERE, **here})


def test_written_and_read_back_where_the_cache_restores_it(tmp_path: Path) -> None:
    path = earlier_attempt.write(tmp_path, RECORD)
    assert path.parent == earlier_attempt.place(tmp_path, KEY) == tmp_path / ".wash-actions" / "attempts" / ("ab" * 16)
    assert earlier_attempt.cache_path(KEY) == "~/.wash-actions/attempts/" + "ab" * 16  # the same text on any runner
    assert earlier_attempt.read(tmp_path, KEY) == RECORD
    assert earlier_attempt.read(tmp_path, "sha256:" + "cd" * 32) is None  # no record for another key
    earlier_attempt.remove(tmp_path, KEY)
    assert not earlier_attempt.place(tmp_path, KEY).exists()
    assert earlier_attempt.read(tmp_path, KEY) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        json.dumps({**RECORD._asdict()}).encode(),  # no format
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "attempt": "1"}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "attempt": True}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "digest": 7}).encode(),
        json.dumps({"format": earlier_attempt.FORMAT, **RECORD._asdict(), "pad": "x" * (64 << 10)}).encode(),
    ],
)
def test_a_file_that_is_not_a_record_is_none(tmp_path: Path, content: bytes) -> None:
    path = earlier_attempt.place(tmp_path, KEY) / earlier_attempt.FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert earlier_attempt.read(tmp_path, KEY) is None


def test_cache_keys_name_the_run_the_source_and_the_attempt() -> None:
    prefix = earlier_attempt.cache_prefix("4242", KEY)
    assert prefix == "wash-actions-attempt-4242-" + "ab" * 16 + "-"
    assert earlier_attempt.cache_key("4242", KEY, "3") == prefix + "3"
    assert earlier_attempt.cache_prefix("", KEY) == ""  # outside a workflow run: no record
    assert earlier_attempt.cache_prefix("4242", "sha256:short") == ""
    assert earlier_attempt.cache_key("4242", KEY, "") == ""


# --- the record's proof: a GitHub-signed OIDC token of this run's earlier attempt -------------------------------

ISSUER = "https://token.actions.githubusercontent.com"
JOB = {
    "iss": ISSUER,
    "run_id": "4242",
    "repository": "acme/app",
    "repository_id": "123456789",
    "workflow_ref": "acme/app/.github/workflows/release.yml@refs/tags/v1.0.0",
    "job_workflow_ref": "acme/app/.github/workflows/release.yml@refs/tags/v1.0.0",
    "sha": "a" * 40,
    "ref": "refs/tags/v1.0.0",
}


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An OIDC issuer with a real 2048-bit RSA key (cryptography signs; the code under test verifies with pow)."""

    def __init__(self, kid: str = "key-1") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "n": _b64(numbers.n.to_bytes(256, "big")),
            "e": _b64(numbers.e.to_bytes(3, "big")),
        }

    def token(self, claims: dict[str, object], *, alg: str = "RS256", kid: str | None = None) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        head = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": kid or self.kid}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{_b64(signature)}"


@pytest.fixture(scope="module")
def github() -> Issuer:
    return Issuer()


@pytest.fixture
def published(github: Issuer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The issuer's keys as its JWKS serves them (what run_token.keys reads over HTTP; integration tests read the
    local Sigstore stack's); returns the issuers whose keys were asked for."""
    from wash_actions.trust import run_token

    keys = {github.kid: github.jwk()}
    asked: list[str] = []

    def served(issuer: str) -> dict[str, dict[str, str]]:
        asked.append(issuer)
        return keys

    monkeypatch.setattr(run_token, "keys", served)
    return asked


def proved(github: Issuer, **claims: object) -> Record:
    """RECORD with a token attempt 1 of run 4242 was issued for its image, digest and key (``claims`` override)."""
    aud = earlier_attempt.audience(RECORD.image, RECORD.digest, RECORD.key)
    return RECORD._replace(token=github.token({**JOB, "run_attempt": "1", "aud": aud, **claims}))


def own(github: Issuer, **claims: object) -> str:
    return github.token({**JOB, "run_attempt": "2", "aud": earlier_attempt.OWN_AUDIENCE, **claims})


def test_a_token_of_this_runs_earlier_attempt_for_this_push_proves_the_record(github: Issuer, published) -> None:
    assert earlier_attempt.proof_refusal(proved(github), own(github)) == ""
    assert published == [ISSUER]  # the issuer of this job's own token
    assert earlier_attempt.proof_refusal(proved(github, run_attempt="2"), own(github, run_attempt="3")) == ""
    # a token without repository_id (older GHES) is judged on the others when the job's own has none either
    bare = {name: value for name, value in JOB.items() if name != "repository_id"}
    aud = earlier_attempt.audience(RECORD.image, RECORD.digest, RECORD.key)
    token = github.token({**bare, "run_attempt": "1", "aud": aud})
    mine = github.token({**bare, "run_attempt": "2", "aud": "x"})
    assert earlier_attempt.proof_refusal(RECORD._replace(token=token), mine) == ""


def test_the_audience_names_the_image_the_digest_and_the_source_key() -> None:
    aud = earlier_attempt.audience(RECORD.image, RECORD.digest, RECORD.key)
    assert aud.startswith("wash-actions-attempt:sha256:") and len(aud) == len("wash-actions-attempt:sha256:") + 64
    assert aud != earlier_attempt.audience(RECORD.image, "sha256:" + "34" * 32, RECORD.key)
    assert aud != earlier_attempt.audience("ghcr.io/acme/other", RECORD.digest, RECORD.key)
    assert aud != earlier_attempt.audience(RECORD.image, RECORD.digest, "sha256:" + "cd" * 32)


def _forged(token: str) -> str:
    """The same header and signature over claims that say another run."""
    head, body, signature = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return ".".join([head, _b64(json.dumps({**claims, "run_id": "1"}).encode()), signature])


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda gh: RECORD, "carries no token"),
        (lambda gh: RECORD._replace(token="not.a-token"), "not a JSON Web Token"),
        (lambda gh: RECORD._replace(token=_forged(proved(gh).token)), "signature does not verify"),
        (lambda gh: RECORD._replace(token=Issuer("key-1").token(json.loads("{}"))), "signature does not verify"),
        (lambda gh: RECORD._replace(token=Issuer("key-9").token({})), "no longer publishes the key"),
        (lambda gh: proved(gh, iss="https://evil.example"), "issued by 'https://evil.example'"),
        (lambda gh: proved(gh, run_id="4241"), "from workflow run 4241, not this run (4242)"),
        (lambda gh: proved(gh, run_attempt="2"), "from attempt 2, not an earlier attempt than this one (2)"),
        (lambda gh: proved(gh, run_attempt="3"), "from attempt 3"),
        (lambda gh: proved(gh, run_attempt="0"), "from attempt 0"),
        (lambda gh: proved(gh, repository="fork/app"), "repository is 'fork/app'"),
        (lambda gh: proved(gh, repository_id="1"), "repository_id is '1'"),
        (lambda gh: proved(gh, workflow_ref="acme/app/.github/workflows/ci.yml@refs/heads/main"), "workflow_ref"),
        (lambda gh: proved(gh, job_workflow_ref="evil/x/.github/workflows/w.yml@v1"), "job_workflow_ref"),
        (lambda gh: proved(gh, sha="b" * 40), "sha is"),
        (
            lambda gh: proved(gh, aud=earlier_attempt.audience(RECORD.image, "sha256:" + "34" * 32, RECORD.key)),
            "issued for something else",
        ),
        (lambda gh: proved(gh)._replace(digest="sha256:" + "34" * 32), "issued for something else"),
    ],
)
def test_a_record_without_this_runs_proof_is_refused_with_the_reason(github: Issuer, published, make, why) -> None:
    refused = earlier_attempt.proof_refusal(make(github), own(github))
    assert why in refused, refused


def test_a_token_signed_with_another_alg_header_is_refused(github: Issuer, published) -> None:
    record = RECORD._replace(
        token=github.token(
            {**JOB, "aud": earlier_attempt.audience(RECORD.image, RECORD.digest, RECORD.key)}, alg="RS512"
        )
    )
    assert "not RS256" in earlier_attempt.proof_refusal(record, own(github))


def test_without_a_token_of_its_own_the_job_cannot_judge(github: Issuer, published) -> None:
    assert "no OIDC token" in earlier_attempt.proof_refusal(proved(github), "")
    http = own(github, iss="http://token.example")
    assert "no https issuer" in earlier_attempt.proof_refusal(proved(github), http)


def test_rs256_verification_with_the_standard_library(github: Issuer) -> None:
    from wash_actions.trust import run_token

    token = run_token.parse(github.token({"a": 1}))
    assert run_token.rs256_valid(token.signed, token.signature, github.jwk())
    assert not run_token.rs256_valid(token.signed + b"x", token.signature, github.jwk())
    assert not run_token.rs256_valid(token.signed, token.signature[:-1] + b"\0", github.jwk())
    assert not run_token.rs256_valid(token.signed, token.signature, Issuer().jwk())
    assert not run_token.rs256_valid(token.signed, token.signature, {"kty": "RSA"})


def test_a_key_shorter_than_rs256_allows_is_refused() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from wash_actions.trust import run_token

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = weak.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64(numbers.n.to_bytes(128, "big")), "e": _b64(numbers.e.to_bytes(3, "big"))}
    signature = weak.sign(b"a.b", padding.PKCS1v15(), hashes.SHA256())
    assert not run_token.rs256_valid(b"a.b", signature, jwk)  # RFC 7518: 2048 bits or more


def test_a_record_keeps_its_token(tmp_path: Path, github: Issuer) -> None:
    record = proved(github)
    earlier_attempt.write(tmp_path, record)
    assert earlier_attempt.read(tmp_path, KEY) == record


@contextlib.contextmanager
def issuer_files(files: dict[str, object]):
    """A plain HTTP server on loopback serving ``files`` (name → JSON document) as an issuer's discovery and JWKS;
    yields its base URL. ``{BASE}`` in a document's text is replaced by that URL."""
    import functools
    import http.server
    import tempfile
    import threading

    with tempfile.TemporaryDirectory() as directory:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for name, document in files.items():
            (Path(directory) / name).write_text(json.dumps(document).replace("{BASE}", base))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def test_the_issuers_keys_are_read_from_its_discovery_document(github: Issuer, monkeypatch) -> None:
    from wash_actions.trust import run_token

    other = {"kty": "EC", "kid": "ec-1", "crv": "P-256"}  # not an RSA key: left out
    files = {"configuration": {"issuer": ISSUER, "jwks_uri": "{BASE}/jwks"}, "jwks": {"keys": [github.jwk(), other]}}
    with issuer_files(files) as base:
        monkeypatch.setenv(run_token.DISCOVERY_ENV, f"{base}/configuration")
        assert run_token.keys(ISSUER) == {github.kid: github.jwk()}
        with pytest.raises(run_token.Invalid, match=re.escape(f"is for {ISSUER!r}, not")):
            run_token.keys("https://ghes.example/_services/token")
        monkeypatch.setenv(run_token.DISCOVERY_ENV, f"{base}/missing")
        with pytest.raises(run_token.Invalid, match="could not be read"):
            run_token.keys(ISSUER)
    monkeypatch.delenv(run_token.DISCOVERY_ENV)
    assert run_token.discovery_url(ISSUER) == f"{ISSUER}/.well-known/openid-configuration"
    ghes = "https://ghes.example/_services/token"
    assert run_token.discovery_url(ghes) == f"{ghes}/.well-known/openid-configuration"


def test_a_configuration_without_keys_is_refused(monkeypatch) -> None:
    from wash_actions.trust import run_token

    with issuer_files(
        {"no-uri": {"issuer": ISSUER}, "list": [], "c": {"issuer": ISSUER, "jwks_uri": "{BASE}/list"}}
    ) as base:
        monkeypatch.setenv(run_token.DISCOVERY_ENV, f"{base}/no-uri")
        with pytest.raises(run_token.Invalid, match="names no jwks_uri"):
            run_token.keys(ISSUER)
        monkeypatch.setenv(run_token.DISCOVERY_ENV, f"{base}/c")
        with pytest.raises(run_token.Invalid, match="is not a JSON object"):
            run_token.keys(ISSUER)


def test_no_token_endpoint_means_no_token(monkeypatch) -> None:
    from wash_actions.trust import run_token

    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "x")
    assert run_token.request("wash-actions-rerun") == ""
