"""setup-wash: resolve the requested wash, install it verified into the tool cache, put it on PATH.

Two phases, so the action can restore an actions/cache entry in between, keyed by what was resolved:
``resolve`` turns the request into a version, asset URL and expected digest (no network at all when an
exact version is already in the tool cache); ``install`` adopts a restored entry after re-checking its
sha256, or downloads, checks the digest, verifies provenance and only then moves the binary into place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import versions
from ..errors import ActionError
from ..runner import gha, paths, transport
from ..toolchain import assets, install, known, resolution, rust, wash_releases
from ..toolchain.resolution import Resolved

if TYPE_CHECKING:
    from ..trust import bundle_sources, verifier

DEFAULT_VERSION = "latest"
_SHA256 = 64
NO_RUST = rust.RustOptions("false", cargo_auditable=False)


class SetupInputs(NamedTuple):
    request: versions.Request
    api_url: str
    token: str
    download_base_url: str
    verify: bool
    checksum: str
    tool_cache: Path
    plugins: tuple[str, ...] = ()
    plugins_insecure: bool = False
    cache_wit: bool = True
    api_auth: transport.Auth | None = None  # the token, bound to the one API host it may be sent to
    api_explicit: bool = False  # github-api-url was set: a mirror that also serves exact versions
    rust_options: rust.RustOptions = NO_RUST

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> SetupInputs:
        base = inputs.get("download-base-url")
        api = inputs.get("github-api-url")
        purposes = {
            "download-base-url": "release assets are downloaded from",
            "github-api-url": "serves the Releases API",
        }
        for name, url in (("download-base-url", base), ("github-api-url", api)):
            if url and any(c.isspace() or ord(c) < 32 for c in url):
                raise ActionError(
                    what=f"{name} has spaces or line breaks: {gha.redact(url)!r}",
                    why=f"'{name}' is one URL, the server that {purposes[name]}.",
                    fix=f"Give a single URL:\nwith:\n  {name}: https://mirror.example.com",
                    docs="#setup-wash",
                )
            if url and not url.startswith(("https://", "http://")):
                raise ActionError(
                    what=f"{name} {url!r} is not an http(s) URL",
                    why=f"'{name}' is the server that {purposes[name]}.",
                    fix=f"Leave it unset to use GitHub, or give a URL:\nwith:\n  {name}: https://mirror.example.com",
                    docs="#setup-wash",
                )
        checksum = inputs.get("checksum").lower().removeprefix("sha256:")
        if checksum and (len(checksum) != _SHA256 or any(c not in "0123456789abcdef" for c in checksum)):
            raise ActionError(
                what=f"checksum {inputs.get('checksum')!r} is not a sha256",
                why="'checksum' pins the binary by its SHA-256: 64 hexadecimal characters.",
                fix="with:\n  checksum: <output of sha256sum wash-x86_64-unknown-linux-gnu>",
                docs="#verification",
            )
        tool_cache = gha.env("RUNNER_TOOL_CACHE")
        api_url = api or resolution.default_api_url(gha.env("GITHUB_SERVER_URL"), gha.env("GITHUB_API_URL"))
        token = inputs.secret("github-token")
        return cls(
            request=versions.parse_request(inputs.get("wash-version", DEFAULT_VERSION)),
            api_url=api_url,
            token=token,
            api_auth=wash_releases.api_auth(
                api_url,
                token,
                job_api_url=resolution.job_api_url(gha.env("GITHUB_SERVER_URL"), gha.env("GITHUB_API_URL")),
                explicit_api=bool(api),
            ),
            api_explicit=bool(api),
            download_base_url=base,
            verify=inputs.bool("verify", default=True),
            checksum=checksum,
            tool_cache=Path(tool_cache) if tool_cache else gha.temp_dir() / "tool-cache",
            plugins=check_plugins(inputs.list("plugins"), inputs.bool("plugins-insecure")),
            plugins_insecure=inputs.bool("plugins-insecure"),
            cache_wit=inputs.bool("cache-wit", default=True),
            rust_options=rust.parse(inputs.get("rust-target"), inputs.get("cargo-auditable")),
        )


def check_plugins(items: list[str], insecure: bool) -> tuple[str, ...]:
    """Validate plugin references before anything is downloaded."""
    if not items:
        return ()
    from ..toolchain import plugins

    wanted = plugins.parse(items)
    if insecure and not all(transport.is_loopback(p.host) for p in wanted):
        raise ActionError(
            what="plugins-insecure: true is refused for a registry that is not on this machine",
            why="Plain HTTP is allowed only for registries on localhost, 127.0.0.0/8 or ::1.",
            fix="with:\n  plugins-insecure: false",
            docs="#plugins",
        )
    return tuple(items)


def check_pin(binary: Path, checksum: str) -> None:
    """A binary already in the tool cache must still match a ``checksum`` pin (checked offline)."""
    if checksum:
        actual = install.sha256_file(binary)
        if actual != checksum:
            raise install.checksum_mismatch(str(binary), checksum, actual)


def resolve(inputs: SetupInputs, plat: assets.Platform) -> Resolved:
    """Ask the Releases API what the request needs (nothing for an exact version without github-api-url)."""
    request = inputs.request
    where = {"download_base_url": inputs.download_base_url, "checksum": inputs.checksum}
    if request.exact is not None:
        listed = resolution.from_manifest(request.exact, plat, **where)
        if listed is not None:
            return listed
        if not inputs.api_explicit:
            return resolution.direct(request, plat, **where)  # no API call at all (GHES, GHE.com, rate limits)
        for tag in resolution.tags_for(request):
            try:
                release = wash_releases.get_release(inputs.api_url, inputs.api_auth, tag)
            except wash_releases.ApiUnavailable as exc:
                gha.warning(
                    f"GitHub's API at {inputs.api_url} is unreachable ({str(exc)[:120]}); installing wash "
                    f"{request.exact} from the release download URL without it.",
                    title="setup-wash: Releases API unreachable",
                )
                return resolution.direct(request, plat, **where)
            if release is not None:
                return resolution.from_exact_release(request, release, plat, **where)
        raise resolution.not_released(request)
    try:
        available = wash_releases.list_releases(inputs.api_url, inputs.api_auth)
    except wash_releases.ApiUnavailable as exc:
        raise ActionError(
            what=f"Cannot resolve wash-version {request.text!r}: GitHub's API at {inputs.api_url} is unreachable",
            why=f"'latest' and ranges are resolved from the Releases API ({str(exc)[:160]}).",
            fix="Pin an exact version, which installs without the API:\nwith:\n  wash-version: 2.10.3",
            docs="#setup-wash",
        ) from None
    return resolution.pick(request, available, plat, **where)


def run_resolve(inputs: SetupInputs) -> dict[str, str]:
    """Resolve the request; on a tool-cache hit also finish the install, so the install step is skipped."""
    plan = rust_plan(inputs.rust_options)  # a Rust input this runner cannot honour fails before any download
    plat = install.host_platform()
    resolved: Resolved | None = None
    version = inputs.request.exact
    entry = install.cache_entry(inputs.tool_cache, version, plat) if version is not None else None
    hit = entry is not None and _cached(entry, plat, inputs)
    if entry is None or not hit:
        resolved = resolve(inputs, plat)
        version = resolved.version
        gha.info(f"wash-version {inputs.request.text!r} resolved to {version} ({resolved.tag}/{resolved.asset})")
        if entry is None or version != inputs.request.exact:  # a range or latest: the entry is known only now
            entry = install.cache_entry(inputs.tool_cache, version, plat)
            hit = _cached(entry, plat, inputs)
    assert version is not None and entry is not None
    outputs = _resolve_outputs(version, entry, plat, resolved=resolved)
    if hit:
        gha.info(f"wash {version} is in the tool cache: nothing to download.")
        binary = entry.directory / plat.exe
        check_pin(binary, inputs.checksum)
        outputs.update(finish(inputs, version, entry, binary, "tool cache", plan))
    outputs["installed"] = str(hit).lower()
    return outputs


def _cached(entry: install.CacheEntry, plat: assets.Platform, inputs: SetupInputs) -> bool:
    """A tool-cache entry usable as it is: its binary still has the sha256 recorded when it was installed, and
    under ``verify: true`` that record says its provenance was verified (see ``install.trusted_entry``)."""
    if install.trusted_entry(entry, plat, verify=inputs.verify) is not None:
        return True
    if entry.complete and (entry.directory / plat.exe).is_file():
        gha.info(
            f"The wash in the tool cache ({entry.directory}) "
            + ("was not verified against wasmCloud's release provenance, or " if inputs.verify else "")
            + "no longer matches what was recorded when it was installed: installing it again."
        )
    return False


def _resolve_outputs(
    version: versions.Version,
    entry: install.CacheEntry,
    plat: assets.Platform,
    *,
    resolved: Resolved | None,
) -> dict[str, str]:
    return {
        "wash-version": str(version),
        "cache-path": str(entry.directory),
        "cache-key": resolution.cache_key(resolved, plat) if resolved else "",
        "resolved": resolved.as_json() if resolved else "",
    }


class InstallInputs(NamedTuple):
    setup: SetupInputs
    version: versions.Version
    resolved: Resolved | None
    restored: bool

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> InstallInputs:
        setup = SetupInputs.from_env(inputs)
        raw = gha.env("WASHACTIONS_RESOLVED")
        resolved = Resolved.from_json(raw) if raw else None
        version = resolved.version if resolved else setup.request.exact
        if version is None:
            version = versions.parse_version(gha.env("WASHACTIONS_RESOLVED_VERSION"))
        if version is None:
            raise ActionError(
                what="setup-wash install ran without a resolved version",
                why="The resolve step's outputs did not reach the install step.",
                fix="Use the setup-wash action as published; its steps pass the version along.",
                docs="#setup-wash",
            )
        return cls(setup, version, resolved, gha.env("WASHACTIONS_CACHE_RESTORED") == "true")


def reported_version(binary: Path) -> str:
    """What ``wash --version`` says, e.g. ``2.10.3``."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except OSError:
        return ""
    return out.strip().split()[-1].lstrip("v") if out.strip() else ""


def _sources(inputs: SetupInputs, resolved: Resolved, sha256: str) -> list[bundle_sources.Source]:
    """Where wash's provenance comes from: the release's bundle asset (2.1.0 on), then GitHub's attestations API."""
    from ..trust import bundle_sources, policy

    sources: list[bundle_sources.Source] = []
    if resolved.bundle_url:
        sources.append(bundle_sources.release_asset(resolved.bundle_url, assets.BUNDLE_ASSET))
    repository = policy.WASH_POLICY.source
    sources.append(bundle_sources.attestations_api(inputs.api_url, inputs.api_auth, repository, sha256))
    return sources


def gh_on_path() -> str | None:
    """The GitHub CLI on PATH (preinstalled on every GitHub-hosted image), the first verifier setup-wash tries."""
    return shutil.which("gh")


def unverified(exc: verifier.Unverified) -> ActionError:
    """setup-wash's words for a wash that no bundle vouches for: every source's reason, and how to go on."""
    return ActionError(
        what="The downloaded wash could not be verified against wasmCloud's release provenance",
        why=f"{exc.why} Nothing was installed.",
        fix="Re-run the job. If the runner cannot reach the provenance sources, pin the binary instead:\n"
        "with:\n  verify: false\n  checksum: <sha256 of the binary>",
        docs="#verification",
    )


def _verifier(inputs: SetupInputs, resolved: Resolved, gh: str | None) -> Callable[[Path, str], str]:
    """The one verifier (verifier.verify: gh when it is on PATH, sigstore-python when gh is missing or could not
    judge, a refusal by gh final) with wasmCloud's release policy; sigstore-python preloaded when there is no gh."""
    preload: threading.Thread | None = None
    if gh is None:
        from ..runner import extras  # only a download verified by sigstore-python needs it

        if not extras.sigstore_cached():
            gha.notice(
                "Verifying wash's provenance installs sigstore-python on this runner (a download from PyPI, a few "
                "seconds). To avoid it, pin a wash-version the action lists (verified when it was listed), or use a "
                "runner with the GitHub CLI (gh) on PATH, as every GitHub-hosted image has.",
                title="setup-wash: verification cost",
            )
        preload = extras.preload_sigstore("sigstore.models", "sigstore.verify")

    def verify(binary: Path, sha256: str) -> str:
        import os

        from ..trust import policy, verifier

        if preload is not None:
            preload.join()  # the verifier installs sigstore itself: never while the preload still does
        artifact = verifier.Artifact(sha256, f"wash {resolved.version}", path=binary)
        try:
            evidence = verifier.verify(
                artifact,
                _sources(inputs, resolved, sha256),
                policy.WASH_POLICY,
                gh=gh,
                trust_configs=verifier.trust_configs_from(dict(os.environ)),
            )
        except verifier.Unverified as exc:
            raise unverified(exc) from None
        if evidence.fallback:
            gha.info(f"The GitHub CLI could not verify ({evidence.fallback}); verified with sigstore-python instead.")
        label = verifier.VERIFIER_LABELS[evidence.verifier]
        gha.info(
            f"Verified wash {resolved.version} (sha256 {sha256}) via {evidence.source} with {label}: "
            f"signed by {evidence.identity}"
        )
        return f"signed by {evidence.identity} (via {evidence.source}; verified by {label})"

    return verify


def _known_verifier(resolved: Resolved, hit: known.Known):  # type: ignore[no-untyped-def]
    """Verification of a binary listed in the manifest: its sha256 must be the one verified upstream."""

    def verify(binary: Path, sha256: str) -> str:
        if sha256 != hit.sha256:
            raise known.mismatch(resolved.url, hit, sha256)
        evidence = (
            f"the action's manifest of known releases: signed by {hit.entry.signer or 'wasmCloud'} "
            f"({hit.entry.source or 'provenance'}), checked {hit.release.verified_at or 'when listed'}"
        )
        gha.info(f"Verified wash {resolved.version} (sha256 {sha256}) by {evidence}")
        return evidence

    return verify


def run_install(inputs: InstallInputs) -> dict[str, str]:
    plat = install.host_platform()
    setup = inputs.setup
    entry = install.cache_entry(setup.tool_cache, inputs.version, plat)
    binary = entry.directory / plat.exe
    hit = _cached(entry, plat, setup)
    source = "tool cache"
    if hit:
        check_pin(binary, setup.checksum)
    if not hit and inputs.restored and entry.directory.is_dir():
        expected = inputs.resolved.sha256 if inputs.resolved else setup.checksum
        if install.adopt_restored(entry, plat, expected, verify=setup.verify) is not None:
            hit, source = True, "actions/cache"
        else:
            gha.warning(
                "The cached wash did not match its record (sha256, or provenance verified under verify: true); "
                "downloading it again."
            )
    if not hit:
        resolved = inputs.resolved
        if resolved is None:  # resolved from the tool cache, which has since lost it
            resolved = resolve(setup, plat)
        gha.info(f"Downloading wash {resolved.version} from {resolved.url}")
        listed = known.lookup(resolved.version, [resolved.asset])
        expected, verify = resolved.sha256, None
        if listed is not None:  # verified when it was listed: its sha256 is the whole check, sigstore stays out
            resolution.check_pin_against(listed, setup.checksum)
            expected, verify = "", _known_verifier(resolved, listed)
        elif setup.verify:
            verify = _verifier(setup, resolved, gh_on_path())
        try:
            binary, _ = install.install_into_cache(
                entry,
                resolved.url,
                plat,
                expected_sha256=expected,
                verify=verify,
                version=str(resolved.version),
                asset=resolved.asset,
            )
        except install.NotFound:
            raise assets.not_found(resolved.version, resolved.asset) from None
        if not setup.verify:
            gha.warning(
                "verify: false — wash was installed without checking its provenance"
                + (" (its sha256 was checked)." if resolved.sha256 else "."),
                title="setup-wash: provenance not verified",
            )
        source = "download"
    return finish(setup, inputs.version, entry, binary, source)


def finish(
    setup: SetupInputs,
    version: versions.Version,
    entry: install.CacheEntry,
    binary: Path,
    source: str,
    plan: rust.RustPlan | None = None,
) -> dict[str, str]:
    """Put wash on PATH, install plugins, write the summary; a binary new to this runner is run once first."""
    if source != "tool cache":
        reported = reported_version(binary)
        if reported != str(version):
            shutil.rmtree(entry.directory, ignore_errors=True)
            entry.marker.unlink(missing_ok=True)
            raise ActionError(
                what=f"The installed wash reports version {reported or 'nothing'}, not {version}",
                why="The binary is not the wash release that was resolved; it was removed from the tool cache.",
                fix="Check 'download-base-url'; leave it unset to download from GitHub.",
                docs="#setup-wash",
            )
    gha.add_path(entry.directory)
    rust_steps = setup_rust(setup.rust_options, plan)
    plugin_files = install_plugins(str(binary), setup)
    record = install.Record.read(entry.directory)
    verified = record.evidence.replace("|", "\\|") if record is not None and record.evidence else "not verified"
    gha.summary(
        f"### wash\n\n| version | path | source | verified |\n|---|---|---|---|\n"
        f"| {version} | `{binary}` | {source} | {verified} |\n"
    )
    if rust_steps:
        gha.summary("Rust: " + ", ".join(f"`{step}`" for step in rust_steps) + "\n")
    wit_dir = wit_cache_dir(binary) if setup.cache_wit else ""
    return {
        "wash-version": str(version),
        "wash-path": str(binary),
        "cache-hit": str(source != "download").lower(),
        "wit-cache-dir": wit_dir,
        "wit-cache-key": wit_cache_key(gha.workspace(), gha.env("RUNNER_OS")) if wit_dir else "",
        "plugins": json.dumps(plugin_files),
        "plugins-dir": str(setup.tool_cache / "wash-plugins") if setup.plugins else "",
    }


def rust_plan(options: rust.RustOptions) -> rust.RustPlan:
    project = options.target != "auto" or rust.has_rust_project(gha.workspace())
    return rust.plan(options, shutil.which("rustup"), shutil.which("cargo"), project)


def setup_rust(options: rust.RustOptions, plan: rust.RustPlan | None = None) -> list[str]:
    """rustup target add / cargo install cargo-auditable as asked (``plan``: already worked out by the resolve
    phase); the commands run, for the outputs."""
    workspace = gha.workspace()
    found = plan if plan is not None else rust_plan(options)
    for message in found.notices:
        gha.notice(message, title="setup-wash: Rust")
    ran = []
    for command in found.commands:
        shown = " ".join([Path(command[0]).stem, *command[1:]])
        gha.group_start(shown)
        try:  # in the workspace, so its rust-toolchain.toml picks the toolchain that gets the target
            proc = subprocess.run(command, cwd=workspace, capture_output=True, text=True, check=False)
        finally:
            gha.group_end()
        output = (proc.stdout + proc.stderr).split("\n\nStack backtrace")[0].strip()
        gha.info(output)
        if proc.returncode != 0:
            is_target = command[1] == "target"
            if is_target and options.target == "auto":  # not asked for: a job that needs no Rust goes on
                gha.warning(
                    f"`{shown}` failed (exit code {proc.returncode}): {(output.splitlines() or ['no output'])[0]}. "
                    "A Rust build for WebAssembly will fail without the target; set rust-target: false if this "
                    "job builds no Rust.",
                    title="setup-wash: Rust",
                )
                continue
            raise ActionError(
                what=f"`{shown}` failed (exit code {proc.returncode})",
                why=(output.splitlines() or ["no output"])[0]
                + (
                    ". rustup downloads the target's standard library from the Rust distribution server."
                    if is_target
                    else ". cargo builds cargo-auditable from crates.io."
                ),
                fix="with:\n  rust-target: wasm32-wasip2   # a target rustup lists (rustup target list)\n"
                "or install it in an earlier step and turn this off:\nwith:\n  rust-target: false"
                if is_target
                else "Install cargo-auditable in an earlier step and turn this off:\nwith:\n  cargo-auditable: false",
                docs="#rust",
            )
        ran.append(shown)
    return ran


def install_plugins(binary: str, setup: SetupInputs) -> dict[str, str]:
    """Pull the requested host plugins (cached by digest) and export WASH_HOST_PLUGINS for later steps."""
    if not setup.plugins:
        return {}
    from ..oci import registry
    from ..toolchain import plugins

    wanted = plugins.parse(list(setup.plugins))
    config = gha.docker_config_dir()
    creds = {p.host: c for p in wanted if (c := registry.docker_config_credentials(config, p.host))}
    files, cached = plugins.install(
        binary, wanted, setup.tool_cache / "wash-plugins", insecure=setup.plugins_insecure, credentials=creds
    )
    for plugin_id, path in files.items():
        gha.info(f"Plugin {plugin_id}: {path}{' (cached)' if plugin_id in cached else ''}")
    gha.export_env("WASH_HOST_PLUGINS", plugins.host_plugins_env(files))
    return files


def wit_cache_key(workspace: Path, runner_os: str) -> str:
    """The actions/cache key of wash's WIT package cache: ``wash-wit-<runner os>-<sha256>`` over the workspace's
    ``wkg.lock`` files (their paths and bytes), or "" when there is none: nothing to key the cache on, so nothing is
    cached. Read here rather than with ``hashFiles('**/wkg.lock')``, which starts a node process per call and walks
    every directory, node_modules included."""
    import hashlib
    import os

    found: list[tuple[str, bytes]] = []
    for directory, subdirectories, files in os.walk(workspace):  # symbolic links to directories are not followed
        subdirectories[:] = sorted(d for d in subdirectories if d not in paths.NOT_SEARCHED)
        if "wkg.lock" in files:
            path = Path(directory) / "wkg.lock"
            try:
                found.append((path.relative_to(workspace).as_posix(), path.read_bytes()))
            except OSError:
                continue
    if not found:
        return ""
    digest = hashlib.sha256()
    for relative, content in sorted(found):
        digest.update(f"{relative}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return f"wash-wit-{runner_os or 'unknown'}-{digest.hexdigest()}"


def wit_cache_dir(binary: Path) -> str:
    """wash's WIT package cache (``<cache_dir>/package_cache``), from ``wash config info -o json``."""
    from ..toolchain import wash

    result = wash.run(str(binary), ["config", "info"])
    data = result.envelope.data if result.envelope and isinstance(result.envelope.data, dict) else {}
    cache_dir = data.get("cache_dir")
    return str(Path(cache_dir) / "package_cache") if cache_dir else ""
