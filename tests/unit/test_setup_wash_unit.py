"""setup-wash's decisions (wash_actions.toolchain.resolution, called with plain values: the API default, cache keys,
candidate tags, Resolved, picking a release from a list) and its input validation.

Also the command's ``resolve`` with the Releases API replaced, for what it asks the API and when.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wash_actions.commands import setup_wash
from wash_actions.commands.setup_wash import SetupInputs
from wash_actions.errors import ActionError
from wash_actions.runner import gha
from wash_actions.toolchain import assets, resolution, wash_releases
from wash_actions.toolchain.resolution import Resolved
from wash_actions.versions import Version, parse_request, parse_version

SHA = "ab" * 32
RUNNER_ENV = ("GITHUB_SERVER_URL", "GITHUB_API_URL", "RUNNER_TOOL_CACHE", "RUNNER_TEMP")
LINUX_X64 = assets.Platform("linux", "x86_64")
MUSL_ARM = assets.Platform("linux", "aarch64", musl=True)
MAC_ARM = assets.Platform("macos", "aarch64")
WIN_X64 = assets.Platform("windows", "x86_64")


def V(text: str) -> Version:
    version = parse_version(text)
    assert version is not None, text
    return version


def inputs(**values: str) -> gha.Inputs:
    return gha.Inputs({gha.INPUT_PREFIX + key.upper(): value for key, value in values.items()})


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A runner environment with nothing set but RUNNER_TEMP."""
    for name in RUNNER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "temp"))
    return monkeypatch


# --- default_api_url ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_url", "api_url", "expected"),
    [
        ("https://github.com", "https://api.github.com", "https://api.github.com"),
        ("https://github.com/", "https://api.github.com", "https://api.github.com"),
        ("https://github.com", "https://api-proxy.example.com", "https://api-proxy.example.com"),
        ("https://github.com", "", "https://api.github.com"),
        ("", "https://api-proxy.example.com", "https://api-proxy.example.com"),  # outside a runner
        ("", "", "https://api.github.com"),
        # GHES (or a ghe.com tenant): wash is released on github.com, not on the job's server
        ("https://ghes.example.com", "https://ghes.example.com/api/v3", "https://api.github.com"),
        ("https://ghes.example.com", "", "https://api.github.com"),
        ("https://octo.ghe.com", "https://api.octo.ghe.com", "https://api.github.com"),
        ("https://github.com.evil.example", "https://evil.example/api", "https://api.github.com"),
    ],
)
def test_default_api_url(server_url: str, api_url: str, expected: str) -> None:
    assert resolution.default_api_url(server_url, api_url) == expected


# --- cache_key ----------------------------------------------------------------------------------


def _resolved(version: str = "2.10.3", sha256: str = SHA, bundle_url: str = "") -> Resolved:
    v = V(version)
    tag = f"v{v}" if not v.prerelease else f"wash-v{v}"
    asset = assets.asset_name(LINUX_X64, v)
    return Resolved(v, tag, asset, assets.download_url("https://github.com", tag, asset), sha256, bundle_url)


@pytest.mark.parametrize(
    ("resolved", "plat", "key"),
    [
        (_resolved(), LINUX_X64, f"wash-2.10.3-linux-x64-{SHA[:16]}"),
        (_resolved(sha256=""), LINUX_X64, "wash-2.10.3-linux-x64"),
        (_resolved(), MUSL_ARM, f"wash-2.10.3-linux-arm64-musl-{SHA[:16]}"),
        (_resolved(sha256=""), MUSL_ARM, "wash-2.10.3-linux-arm64-musl"),
        (_resolved(), MAC_ARM, f"wash-2.10.3-macos-arm64-{SHA[:16]}"),
        (_resolved(), WIN_X64, f"wash-2.10.3-windows-x64-{SHA[:16]}"),
        (
            _resolved("wash-v2.0.0-rc.8", sha256="0123456789abcdef" * 4),
            LINUX_X64,
            "wash-2.0.0-rc.8-linux-x64-0123456789abcdef",
        ),
    ],
)
def test_cache_key(resolved: Resolved, plat: assets.Platform, key: str) -> None:
    assert resolution.cache_key(resolved, plat) == key


def test_cache_key_changes_with_the_digest() -> None:
    a = resolution.cache_key(_resolved(sha256="aa" * 32), LINUX_X64)
    b = resolution.cache_key(_resolved(sha256="bb" * 32), LINUX_X64)
    assert a != b


# --- tags_for -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "tags"),
    [
        ("2.10.3", ["v2.10.3", "wash-v2.10.3"]),
        ("v2.10.3", ["v2.10.3", "wash-v2.10.3"]),
        (" v2.10.3\n", ["v2.10.3", "wash-v2.10.3"]),
        ("wash-v2.10.3", ["wash-v2.10.3", "v2.10.3"]),
        ("wash-v2.0.0-rc.8", ["wash-v2.0.0-rc.8", "v2.0.0-rc.8"]),
        ("2.0.0-rc.8", ["wash-v2.0.0-rc.8", "v2.0.0-rc.8"]),
        ("v2.0.0-rc.8", ["v2.0.0-rc.8", "wash-v2.0.0-rc.8"]),
    ],
)
def test_tags_for(given: str, tags: list[str]) -> None:
    assert resolution.tags_for(parse_request(given)) == tags


# --- Resolved -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resolved",
    [
        _resolved(),
        _resolved(sha256="", bundle_url=""),
        _resolved("wash-v2.0.0-rc.8", bundle_url="https://github.com/x/wash.sigstore.json"),
        Resolved(V("2.10.3"), "v2.10.3", "wash-x86_64-pc-windows-msvc", 'http://mirror/a b?c="d"', SHA, "é"),
    ],
)
def test_resolved_json_round_trip(resolved: Resolved) -> None:
    text = resolved.as_json()
    assert "\n" not in text  # it travels through a step output
    assert Resolved.from_json(text) == resolved
    data = json.loads(text)
    assert data["version"] == str(resolved.version)
    assert set(data) == {"version", "tag", "asset", "url", "sha256", "bundle_url"}


# --- SetupInputs.from_env -----------------------------------------------------------------------


def test_from_env_defaults(runner: pytest.MonkeyPatch, tmp_path: Path) -> None:
    setup = SetupInputs.from_env(inputs())
    assert setup.request.is_latest
    assert setup.api_url == "https://api.github.com"
    assert setup.token == ""
    assert setup.download_base_url == ""
    assert setup.verify is True
    assert setup.checksum == ""
    assert setup.tool_cache == tmp_path / "temp" / "tool-cache"


def test_from_env_reads_the_runner(runner: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runner.setenv("RUNNER_TOOL_CACHE", str(tmp_path / "hostedtoolcache"))
    runner.setenv("GITHUB_SERVER_URL", "https://github.com")
    runner.setenv("GITHUB_API_URL", "https://api-proxy.example.com")
    setup = SetupInputs.from_env(inputs())
    assert setup.tool_cache == tmp_path / "hostedtoolcache"
    assert setup.api_url == "https://api-proxy.example.com"


def test_from_env_on_ghes_uses_github_com(runner: pytest.MonkeyPatch) -> None:
    runner.setenv("GITHUB_SERVER_URL", "https://ghes.example.com")
    runner.setenv("GITHUB_API_URL", "https://ghes.example.com/api/v3")
    assert SetupInputs.from_env(inputs()).api_url == "https://api.github.com"


def test_from_env_inputs(runner: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    runner.setenv("GITHUB_API_URL", "https://api.github.com")
    setup = SetupInputs.from_env(
        inputs(
            wash_version=" ^2.5 ",
            github_api_url="https://ghes.example.com/api/v3",
            github_token="t0ken-value",
            download_base_url="http://127.0.0.1:8080/mirror",
            verify="false",
            checksum=f"SHA256:{SHA.upper()}",
        )
    )
    assert setup.request.text == "^2.5"
    assert setup.request.exact is None
    assert setup.api_url == "https://ghes.example.com/api/v3"  # an explicit input wins
    assert setup.token == "t0ken-value"
    assert "t0ken-value" not in capsys.readouterr().out  # credentials are never printed
    assert setup.download_base_url == "http://127.0.0.1:8080/mirror"
    assert setup.verify is False
    assert setup.checksum == SHA


@pytest.mark.parametrize("checksum", [SHA, SHA.upper(), f"sha256:{SHA}", f"  {SHA}\n"])
def test_from_env_checksum_is_normalised(runner: pytest.MonkeyPatch, checksum: str) -> None:
    assert SetupInputs.from_env(inputs(checksum=checksum)).checksum == SHA


@pytest.mark.parametrize(
    ("values", "what", "docs"),
    [
        ({"checksum": "abc"}, "checksum 'abc' is not a sha256", "#verification"),
        ({"checksum": SHA[:-1]}, "is not a sha256", "#verification"),
        ({"checksum": SHA + "0"}, "is not a sha256", "#verification"),
        ({"checksum": "g" * 64}, "is not a sha256", "#verification"),
        ({"checksum": "sha256:" + "z" * 64}, "is not a sha256", "#verification"),
        ({"checksum": "sha512:" + SHA}, "is not a sha256", "#verification"),
        ({"checksum": "md5:" + SHA}, "is not a sha256", "#verification"),
        ({"download_base_url": "github.com"}, "download-base-url 'github.com' is not an http(s) URL", "#setup-wash"),
        ({"download_base_url": "ftp://mirror.example.com"}, "download-base-url", "#setup-wash"),
        ({"download_base_url": "file:///srv/mirror"}, "download-base-url", "#setup-wash"),
        ({"github_api_url": "api.github.com"}, "github-api-url 'api.github.com' is not an http(s) URL", "#setup-wash"),
        ({"github_api_url": "git@github.com:wasmCloud"}, "github-api-url", "#setup-wash"),
        ({"verify": "maybe"}, "Input 'verify' must be true or false, not 'maybe'", "#readme"),
        ({"verify": "enabled"}, "Input 'verify' must be true or false", "#readme"),
        ({"wash_version": "^1"}, "older than 2.0.0", "#setup-wash"),
        ({"wash_version": "garbage"}, "is not a version or range", "#setup-wash"),
    ],
)
def test_from_env_errors(runner: pytest.MonkeyPatch, values: dict[str, str], what: str, docs: str) -> None:
    with pytest.raises(ActionError) as caught:
        SetupInputs.from_env(inputs(**values))
    assert what in caught.value.what
    assert caught.value.fix
    assert caught.value.docs == docs


def test_from_env_url_error_explains_the_input(runner: pytest.MonkeyPatch) -> None:
    with pytest.raises(ActionError) as caught:
        SetupInputs.from_env(inputs(download_base_url="mirror.example.com"))
    assert "release assets are downloaded from" in caught.value.why
    assert "download-base-url: https://" in caught.value.fix
    with pytest.raises(ActionError) as caught:
        SetupInputs.from_env(inputs(github_api_url="mirror.example.com"))
    assert "Releases API" in caught.value.why
    assert "github-api-url: https://" in caught.value.fix


# --- InstallInputs.from_env: the version handed over by the resolve step ------------------------


def test_install_inputs_from_the_resolved_json(runner: pytest.MonkeyPatch) -> None:
    resolved = _resolved("wash-v2.0.0-rc.8")
    runner.setenv("WASHACTIONS_RESOLVED", resolved.as_json())
    runner.setenv("WASHACTIONS_CACHE_RESTORED", "true")
    got = setup_wash.InstallInputs.from_env(inputs(wash_version="latest"))
    assert got.version == V("2.0.0-rc.8")
    assert got.resolved == resolved
    assert got.restored is True


@pytest.mark.parametrize(
    ("request_text", "env", "version"),
    [
        ("2.10.3", {}, "2.10.3"),  # an exact version found in the tool cache: nothing was resolved
        ("latest", {"WASHACTIONS_RESOLVED_VERSION": "2.10.2"}, "2.10.2"),
        ("2.10.3", {"WASHACTIONS_RESOLVED_VERSION": "2.10.2"}, "2.10.3"),
    ],
)
def test_install_inputs_without_resolved_json(
    runner: pytest.MonkeyPatch, request_text: str, env: dict[str, str], version: str
) -> None:
    for name in ("WASHACTIONS_RESOLVED", "WASHACTIONS_RESOLVED_VERSION", "WASHACTIONS_CACHE_RESTORED"):
        runner.delenv(name, raising=False)
    for name, value in env.items():
        runner.setenv(name, value)
    got = setup_wash.InstallInputs.from_env(inputs(wash_version=request_text))
    assert got.version == V(version)
    assert got.resolved is None
    assert got.restored is False


def test_install_inputs_without_any_version(runner: pytest.MonkeyPatch) -> None:
    for name in ("WASHACTIONS_RESOLVED", "WASHACTIONS_RESOLVED_VERSION"):
        runner.delenv(name, raising=False)
    with pytest.raises(ActionError) as caught:
        setup_wash.InstallInputs.from_env(inputs(wash_version="^2"))
    assert "without a resolved version" in caught.value.what


# --- from_release, pick, and resolve over a fixed release list -----------------------------------


def _release(tag: str, *names: str, prerelease: bool = False, bundle: bool = True) -> assets.Release:
    version = V(tag)
    by_name = {
        n: assets.Asset(n, f"https://github.com/dl/{tag}/{n}", 10, f"sha256:{n.encode().hex()[:64].ljust(64, '0')}")
        for n in names
    }
    if bundle:
        by_name[assets.BUNDLE_ASSET] = assets.Asset(assets.BUNDLE_ASSET, f"https://github.com/dl/{tag}/bundle")
    return assets.Release(tag, version, prerelease or version.prerelease, by_name)


def _setup(request: str = "latest", *, base: str = "", checksum: str = "", explicit: bool = False) -> SetupInputs:
    return SetupInputs(
        parse_request(request),
        "https://api.example",
        "",
        base,
        True,
        checksum,
        Path("/nonexistent"),
        api_explicit=explicit,
    )


GNU = "wash-x86_64-unknown-linux-gnu"
WIN = "wash-x86_64-pc-windows-msvc"


def test_from_release_uses_the_api_urls_and_digest() -> None:
    release = _release("v2.10.3", GNU)
    got = resolution.from_release(release, LINUX_X64, download_base_url="", checksum="")
    assert got is not None
    assert (got.version, got.tag, got.asset) == (V("2.10.3"), "v2.10.3", GNU)
    assert got.url == f"https://github.com/dl/v2.10.3/{GNU}"
    assert got.sha256 == release.assets[GNU].digest.removeprefix("sha256:")
    assert got.bundle_url == "https://github.com/dl/v2.10.3/bundle"


def test_from_release_with_a_mirror_and_a_pinned_checksum() -> None:
    got = resolution.from_release(
        _release("wash-v2.0.0-rc.8", "wash-x86_64-unknown-linux-musl"),
        LINUX_X64,
        download_base_url="http://mirror.example/m/",
        checksum=SHA,
    )
    assert got is not None
    prefix = "http://mirror.example/m/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8"
    assert got.url == f"{prefix}/wash-x86_64-unknown-linux-musl"
    assert got.bundle_url == f"{prefix}/{assets.BUNDLE_ASSET}"
    assert got.sha256 == SHA  # the user's pin wins over the API's digest


def test_from_release_without_a_bundle_or_digest() -> None:
    release = assets.Release("v2.0.4", V("2.0.4"), False, {GNU: assets.Asset(GNU, "https://x/" + GNU)})
    assert resolution.from_release(release, LINUX_X64, download_base_url="", checksum="") is None  # linux: musl
    musl = "wash-x86_64-unknown-linux-musl"
    release = assets.Release("v2.0.4", V("2.0.4"), False, {musl: assets.Asset(musl, "https://x/" + musl)})
    got = resolution.from_release(release, LINUX_X64, download_base_url="", checksum="")
    assert got is not None
    assert (got.sha256, got.bundle_url) == ("", "")


@pytest.mark.parametrize(
    ("names", "picked"),
    [
        ([WIN + ".exe", WIN], WIN + ".exe"),
        ([WIN], WIN),
        ([WIN + ".exe"], WIN + ".exe"),
        ([GNU], None),
    ],
)
def test_from_release_windows_prefers_exe(names: list[str], picked: str | None) -> None:
    got = resolution.from_release(_release("v2.10.3", *names), WIN_X64, download_base_url="", checksum="")
    assert (got.asset if got else None) == picked


RELEASES = [
    _release("v3.0.0", "wash-aarch64-apple-darwin"),  # no binary for linux x86_64
    _release("v2.11.0-rc.1", GNU),
    _release("v2.10.3", GNU),
    _release("v2.10.2", GNU),
    _release("v2.5.0", GNU),
    _release("v2.0.0", "wash-x86_64-unknown-linux-musl"),
    _release("wash-v2.0.0-rc.8", "wash-x86_64-unknown-linux-musl"),
    _release("v1.9.0", "wash-x86_64-unknown-linux-musl"),
]


@pytest.mark.parametrize(
    ("request_text", "tag"),
    [
        ("latest", "v2.10.3"),
        ("^2.5", "v2.10.3"),
        ("~2.5", "v2.5.0"),
        ("<2.10", "v2.5.0"),
        ("2.0", "v2.0.0"),
        (">=2.5 <2.10.3", "v2.10.2"),
    ],
)
def test_pick_ranges(request_text: str, tag: str) -> None:
    picked = resolution.pick(parse_request(request_text), RELEASES, LINUX_X64, download_base_url="", checksum="")
    assert picked.tag == tag


def test_pick_with_no_match() -> None:
    with pytest.raises(ActionError) as caught:
        resolution.pick(parse_request("^3"), RELEASES, LINUX_X64, download_base_url="", checksum="")
    assert "No wash release matches '^3'" in caught.value.what
    assert "is 2.10.3" in caught.value.why


def test_resolve_range_without_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(api: str, token: str) -> list[assets.Release]:
        raise wash_releases.ApiUnavailable("connection refused")

    monkeypatch.setattr(wash_releases, "list_releases", unavailable)
    with pytest.raises(ActionError) as caught:
        setup_wash.resolve(_setup("latest"), LINUX_X64)
    assert "unreachable" in caught.value.what
    assert "wash-version: 2.10.3" in caught.value.fix


@pytest.mark.parametrize(
    ("request_text", "tag"),
    [
        ("2.10.3", "v2.10.3"),
        ("v2.10.3", "v2.10.3"),
        ("wash-v2.0.0-rc.8", "wash-v2.0.0-rc.8"),
        ("2.0.0-rc.8", "wash-v2.0.0-rc.8"),
        ("2.0.0", "v2.0.0"),
        ("2.99.0", "v2.99.0"),
    ],
)
def test_resolve_exact_makes_no_api_call(monkeypatch: pytest.MonkeyPatch, request_text: str, tag: str) -> None:
    def no_api(*args: object) -> None:
        raise AssertionError("an exact version must not call the Releases API")

    monkeypatch.setattr(wash_releases, "get_release", no_api)
    monkeypatch.setattr(wash_releases, "list_releases", no_api)
    got = setup_wash.resolve(_setup(request_text), LINUX_X64)
    assert got.version == V(request_text)
    assert got.tag == tag
    assert got.url == f"https://github.com/wasmCloud/wasmCloud/releases/download/{tag}/{got.asset}"
    assert got.bundle_url == f"https://github.com/wasmCloud/wasmCloud/releases/download/{tag}/wash.sigstore.json"


@pytest.mark.parametrize(
    ("server", "job_api", "api", "explicit", "token_host"),
    [
        # github.com: the job's token belongs to api.github.com
        ("https://github.com", "https://api.github.com", "https://api.github.com", False, "api.github.com"),
        # GHES: the job's token belongs to the GHES API, never to api.github.com where wash is released
        ("https://ghes.example.com", "https://ghes.example.com/api/v3", "https://api.github.com", False, None),
        # GHE.com: the same
        ("https://acme.ghe.com", "https://api.acme.ghe.com", "https://api.github.com", False, None),
        # a mirror the user named explicitly gets the token the user gave
        (
            "https://ghes.example.com",
            "https://ghes.example.com/api/v3",
            "https://mirror.example",
            True,
            "mirror.example",
        ),
        # outside Actions, a token given for github.com
        ("", "", "https://api.github.com", False, "api.github.com"),
        # outside Actions, a non-GitHub API that was not chosen explicitly gets nothing
        ("", "", "https://other.example", False, None),
    ],
)
def test_the_token_goes_only_to_the_host_it_belongs_to(
    server: str, job_api: str, api: str, explicit: bool, token_host: str | None
) -> None:
    auth = wash_releases.api_auth(
        api, "tok", job_api_url=resolution.job_api_url(server, job_api), explicit_api=explicit
    )
    assert (auth.host if auth else None) == token_host
    assert wash_releases.api_auth(api, "", job_api_url=job_api, explicit_api=explicit) is None


@pytest.mark.parametrize(
    ("server", "api", "expected"),
    [
        ("https://github.com", "", "https://api.github.com"),
        ("https://ghes.example.com", "", "https://ghes.example.com/api/v3"),
        ("https://acme.ghe.com", "https://api.acme.ghe.com", "https://api.acme.ghe.com"),
        ("", "", ""),
    ],
)
def test_job_api_url(server: str, api: str, expected: str) -> None:
    assert resolution.job_api_url(server, api) == expected


@pytest.mark.parametrize(
    ("request_text", "asked"),
    [
        ("2.10.3", ["v2.10.3"]),
        ("wash-v2.0.0-rc.8", ["wash-v2.0.0-rc.8"]),
        ("2.0.0", ["v2.0.0"]),
        ("2.5.0", ["v2.5.0"]),
    ],
)
def test_resolve_exact_from_an_explicit_api(
    monkeypatch: pytest.MonkeyPatch, request_text: str, asked: list[str]
) -> None:
    by_tag = {r.tag: r for r in RELEASES}
    seen: list[str] = []

    def get_release(api: str, token: str, tag: str) -> assets.Release | None:
        seen.append(tag)
        return by_tag.get(tag)

    monkeypatch.setattr(wash_releases, "get_release", get_release)
    got = setup_wash.resolve(_setup(request_text, explicit=True), LINUX_X64)
    assert got.version == V(request_text)
    assert seen == asked


def test_resolve_exact_tries_the_other_tag_then_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(wash_releases, "get_release", lambda api, token, tag: seen.append(tag))
    with pytest.raises(ActionError) as caught:
        setup_wash.resolve(_setup("2.10.4", explicit=True), LINUX_X64)
    assert seen == ["v2.10.4", "wash-v2.10.4"]
    assert "wash 2.10.4 is not released" in caught.value.what
    assert "v2.10.4 or wash-v2.10.4" in caught.value.why


def test_resolve_exact_release_without_this_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        wash_releases, "get_release", lambda api, token, tag: _release("v3.0.0", "wash-aarch64-apple-darwin")
    )
    with pytest.raises(ActionError) as caught:
        setup_wash.resolve(_setup("3.0.0", explicit=True), LINUX_X64)
    assert f"has no release asset {GNU}" in caught.value.what


@pytest.mark.parametrize(
    ("request_text", "base", "checksum", "url", "bundle"),
    [
        (
            "2.10.3",
            "",
            "",
            f"https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/{GNU}",
            "https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/wash.sigstore.json",
        ),
        (
            "wash-v2.0.0-rc.8",
            "http://mirror.example",
            SHA,
            "http://mirror.example/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8/wash-x86_64-unknown-linux-musl",
            "http://mirror.example/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8/wash.sigstore.json",
        ),
    ],
)
def test_resolve_exact_without_the_api(
    monkeypatch: pytest.MonkeyPatch, request_text: str, base: str, checksum: str, url: str, bundle: str
) -> None:
    def unavailable(api: str, token: str, tag: str) -> assets.Release | None:
        raise wash_releases.ApiUnavailable("connection refused")

    monkeypatch.setattr(wash_releases, "get_release", unavailable)
    got = setup_wash.resolve(_setup(request_text, base=base, checksum=checksum, explicit=True), LINUX_X64)
    assert got.url == url
    assert got.bundle_url == bundle
    assert got.sha256 == checksum


def test_resolve_latest_skips_a_release_github_marks_as_prerelease(monkeypatch: pytest.MonkeyPatch) -> None:
    flagged = _release("v2.12.0", GNU, prerelease=True)
    assert flagged.prerelease
    picked = resolution.pick(
        parse_request("latest"), [flagged, *RELEASES], LINUX_X64, download_base_url="", checksum=""
    )
    assert picked.tag == "v2.10.3"
    # the command hands the API's list to pick
    monkeypatch.setattr(wash_releases, "list_releases", lambda api, token: [flagged, *RELEASES])
    assert setup_wash.resolve(_setup("latest"), LINUX_X64).tag == "v2.10.3"


@pytest.mark.parametrize(
    ("request_text", "base", "checksum", "url", "bundle"),
    [
        (
            "2.10.3",
            "",
            "",
            f"https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/{GNU}",
            "https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/wash.sigstore.json",
        ),
        (
            "2.0.0-rc.8",
            "http://mirror.example",
            SHA,
            "http://mirror.example/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8/wash-x86_64-unknown-linux-musl",
            "http://mirror.example/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8/wash.sigstore.json",
        ),
    ],
)
def test_direct(request_text: str, base: str, checksum: str, url: str, bundle: str) -> None:
    got = resolution.direct(parse_request(request_text), LINUX_X64, download_base_url=base, checksum=checksum)
    assert (got.version, got.url, got.bundle_url, got.sha256) == (V(request_text), url, bundle, checksum)


def test_from_exact_release_without_this_platform() -> None:
    release = _release("v3.0.0", "wash-aarch64-apple-darwin")
    with pytest.raises(ActionError) as caught:
        resolution.from_exact_release(parse_request("3.0.0"), release, LINUX_X64, download_base_url="", checksum="")
    assert f"has no release asset {GNU}" in caught.value.what


def test_not_released_names_both_tags() -> None:
    error = resolution.not_released(parse_request("2.10.4"))
    assert "wash 2.10.4 is not released" in error.what
    assert "v2.10.4 or wash-v2.10.4" in error.why


def test_the_wit_cache_key_covers_the_workspaces_wkg_lock_files(tmp_path: Path) -> None:
    """No wkg.lock: no key (nothing cached). Each lock's path and bytes count; what VCS, package managers and builds
    keep (node_modules, target, .git …) is not searched."""
    assert setup_wash.wit_cache_key(tmp_path, "Linux") == ""
    (tmp_path / "node_modules" / "dep").mkdir(parents=True)
    (tmp_path / "node_modules" / "dep" / "wkg.lock").write_text("# a package's own\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "wkg.lock").write_text("# a build's\n")
    assert setup_wash.wit_cache_key(tmp_path, "Linux") == ""

    (tmp_path / "components" / "a").mkdir(parents=True)
    (tmp_path / "components" / "a" / "wkg.lock").write_text("# a\n")
    first = setup_wash.wit_cache_key(tmp_path, "Linux")
    assert first.startswith("wash-wit-Linux-") and len(first) == len("wash-wit-Linux-") + 64
    assert setup_wash.wit_cache_key(tmp_path, "Linux") == first  # stable
    assert setup_wash.wit_cache_key(tmp_path, "macOS").startswith("wash-wit-macOS-")

    (tmp_path / "components" / "a" / "wkg.lock").write_text("# a, another version\n")
    changed = setup_wash.wit_cache_key(tmp_path, "Linux")
    assert changed != first
    (tmp_path / "components" / "b").mkdir()
    (tmp_path / "components" / "b" / "wkg.lock").write_text("# a, another version\n")
    assert setup_wash.wit_cache_key(tmp_path, "Linux") not in (first, changed)
    # the same bytes under another path is another set of locks
    (tmp_path / "components" / "b" / "wkg.lock").unlink()
    (tmp_path / "components" / "a" / "wkg.lock").rename(tmp_path / "components" / "b" / "wkg.lock")
    assert setup_wash.wit_cache_key(tmp_path, "Linux") not in (first, changed, "")
