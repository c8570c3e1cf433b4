"""The example pipeline through act, written as a user writes it: checkout → setup-wash → build → publish."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.act import steps
from tests.conftest import EXAMPLES, WASH_VERSION

pytestmark = pytest.mark.act


def source_tag(publish: dict[str, str]) -> str:
    """The tag publish points at the digest of a source key (build handed publish the key)."""
    from wash_actions.reuse.source_key import tag_for

    assert publish["source-key"].startswith("sha256:"), publish
    return tag_for(publish["source-key"])


def pipeline(release_url: str, registry_host: str, tags: str = "v1.0.0,latest") -> str:
    return f"""
on: push
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
{steps.setup_wash(release_url)}
      - id: build
        uses: acme/wash-actions/actions/build@v1
        with:
          working-directory: .
          skip-fetch: true
          wash-path: ${{{{ steps.setup.outputs.wash-path }}}}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: ${{{{ steps.build.outputs.component-path }}}}
          registry: {registry_host}
          repository: acme/hello-python
          tags: {tags}
          insecure: true
"""


def test_pipeline_builds_and_publishes_one_digest(act, release_server, registry, sigstore, tmp_path):
    """A fresh runner: the venv is bootstrapped, wash downloaded and verified (sigstore installed on first use)."""
    workflow = pipeline(release_server.url, registry.host).replace("verify: false", "verify: true", 1)
    result = act.run(
        workflow,
        project=EXAMPLES / "hello-python",
        env={"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)},
        cache=tmp_path / "runner",
        name="pipeline",
    )
    assert result.returncode == 0, result.log[-4000:]
    assert "via release asset wash.sigstore.json" in result.log
    assert "Installing sigstore for verification" in result.log
    setup = result.outputs("setup")
    build = result.outputs("build")
    publish = result.outputs("publish")
    assert setup["wash-version"] == WASH_VERSION
    assert setup["wash-path"].endswith(f"/wash/{WASH_VERSION}/x64/wash")
    assert build["component-path"].endswith("/build/hello-python.wasm")
    # hello-python has no wkg.lock: nothing to key wash's WIT cache on, so no cache is looked up or saved
    assert "wash-wit-" not in result.log

    digest = publish["digest"]
    assert digest.startswith("sha256:")
    assert publish["image-ref"] == f"{registry.host}/acme/hello-python@{digest}"
    for tag in ("v1.0.0", "latest"):
        response = registry.manifest("acme/hello-python", tag)
        assert response.status_code == 200
        assert response.headers["Docker-Content-Digest"] == digest
    manifest = registry.manifest("acme/hello-python", digest).json()
    (layer,) = manifest["layers"]
    pulled = registry.blob("acme/hello-python", layer["digest"])
    assert hashlib.sha256(pulled).hexdigest() == build["component-sha256"]
    assert len(pulled) == int(build["component-size"])


def test_two_fresh_runners_on_one_commit_publish_one_digest(act, release_server, registry, built_python, tmp_path):
    """ "Re-run all jobs": the same commit on a fresh runner publishes the same digest and moves nothing (the
    immutable release tag is accepted); another commit gets another digest (build embeds the commit as `revision`).

    The project's build is reproducible (it copies a component built once, as a reproducible toolchain would
    give the same bytes): componentize-py and jco builds are not byte-for-byte reproducible between two runs,
    which README "Reproducible digests" says."""
    project = tmp_path / "reproducible"
    (project / ".wash").mkdir(parents=True)
    shutil.copy(built_python, project / "prebuilt.wasm")
    (project / ".wash" / "config.yaml").write_text(
        "build:\n  command: mkdir -p build && cp prebuilt.wasm build/hello.wasm\n  component_path: build/hello.wasm\n"
    )
    plan = [
        ("2026-05-01T12:00:00Z", "3.0.0,edge"),
        ("2026-05-01T12:00:00Z", "3.0.0,edge"),
        ("2026-05-02T12:00:00Z", "edge"),
    ]
    runs = [
        act.run(
            pipeline(release_server.url, registry.host, tags=tags).replace("acme/hello-python", "acme/rerun"),
            project=project,
            cache=tmp_path / f"runner-{n}",
            name=f"rerun-{n}",
            commit_date=date,
        )
        for n, (date, tags) in enumerate(plan)
    ]
    for result in runs:
        assert result.returncode == 0, result.log[-4000:]
    first, again, later = (result.outputs("publish")["digest"] for result in runs)
    built = [result.outputs("build")["component-sha256"] for result in runs]
    # build embeds the commit as the `revision` section: one commit, one component; another commit, another
    assert built[0] == built[1] != built[2]
    assert again == first
    assert "already names" in runs[1].log and "unchanged" in runs[1].log
    assert later != first
    assert registry.manifest("acme/rerun", "3.0.0").headers["Docker-Content-Digest"] == first
    assert registry.manifest("acme/rerun", "edge").headers["Docker-Content-Digest"] == later


def test_js_component_builds_and_publishes_through_act(act, release_server, registry):
    result = act.run(
        pipeline(release_server.url, registry.host, tags="js").replace("acme/hello-python", "acme/hello-js"),
        project=EXAMPLES / "hello-js",
        name="pipeline-js",
    )
    assert result.returncode == 0, result.log[-4000:]
    assert "Successfully written" in result.log  # jco's stdout went through wash to the log
    # hello-js commits its wkg.lock: wash's WIT cache is keyed by it and saved after the build
    from wash_actions.commands.setup_wash import wit_cache_key

    key = wit_cache_key(EXAMPLES / "hello-js", "Linux")
    assert key and f"Cache saved with key: {key}" in result.log, result.log[-4000:]
    digest = result.outputs("publish")["digest"]
    assert registry.manifest("acme/hello-js", "js").headers["Docker-Content-Digest"] == digest


def test_setup_wash_cold_then_warm_then_restored_from_actions_cache(act, release_server, tmp_path):
    workflow = f"""
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url, f"v{WASH_VERSION}")}
      - id: version
        shell: bash
        run: wash --version
"""
    store = release_server.store
    runner, cache_store = tmp_path / "runner", tmp_path / "actions-cache"
    store.clear_log()
    cold = act.run(workflow, cache=runner, cache_store=cache_store, name="cold")
    assert cold.returncode == 0, cold.log[-3000:]
    assert cold.outputs("setup")["cache-hit"] == "false"
    assert f"wash {WASH_VERSION}" in cold.log  # the next step found it on PATH
    assert len([p for p in store.requests if "/releases/download/" in p]) == 1
    assert "Cache saved with key: wash-2.10.3-linux-x64-" in cold.log

    store.clear_log()
    warm = act.run(workflow, cache=runner, cache_store=cache_store, name="warm")
    assert warm.returncode == 0, warm.log[-3000:]
    assert warm.outputs("setup")["cache-hit"] == "true"
    assert warm.outputs("setup")["wash-path"] == cold.outputs("setup")["wash-path"]
    assert store.requests == []  # a tool-cache hit asks nothing at all

    # a fresh hosted runner (same tool-cache path, empty) restores it from actions/cache, no download
    shutil.rmtree(runner / "tool_cache" / "wash")
    store.clear_log()
    fresh = act.run(workflow, cache=runner, cache_store=cache_store, name="restored")
    assert fresh.returncode == 0, fresh.log[-3000:]
    assert fresh.outputs("setup")["cache-hit"] == "true"
    assert "Cache restored from key: wash-2.10.3-linux-x64-" in fresh.log
    assert not [p for p in store.requests if "/releases/download/" in p]


@pytest.mark.parametrize("json_log", [False, True], ids=["text-log", "json-log"])
def test_credentials_from_secrets_never_reach_the_log(act, release_server, auth_registry, built_python, json_log):
    workflow = f"""
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url)}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {built_python}
          registry: {auth_registry.host}
          repository: acme/secret
          tags: v1
          username: ${{{{ secrets.REGISTRY_USER }}}}
          password: ${{{{ secrets.REGISTRY_PASSWORD }}}}
          insecure: true
"""
    result = act.run(
        workflow,
        secrets={"REGISTRY_USER": auth_registry.username, "REGISTRY_PASSWORD": auth_registry.password},
        name=f"secrets-{json_log}",
        json_log=json_log,
    )
    assert result.returncode == 0, result.log[-3000:]
    assert auth_registry.tags("acme/secret") == ["v1"]
    assert auth_registry.password not in result.log  # act's JSON log keeps masked values in clear
    if json_log:
        assert result.log.lstrip().startswith("{")  # really the JSON log


def test_bad_input_fails_the_step_with_one_error(act, release_server):
    workflow = f"""
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url)}
      - id: publish
        continue-on-error: true
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: does/not/exist.wasm
          registry: https://ghcr.io
"""
    result = act.run(workflow, name="bad-input")
    assert result.outcome("publish") == "failure"
    (error,) = result.errors()
    assert "must not include a scheme" in error, result.log[-3000:]
    assert "Traceback" not in result.log


def test_wasmcloud_actions_names_work_unchanged(act, release_server, registry, user_sigstore):
    """The migration README's 'after' workflow: wasmCloud/actions input and output names, our actions.

    The job can sign (id-token: write and an OIDC endpoint), so only `attestation: false` keeps it from attesting.
    """
    workflow = f"""
on: push
permissions:
  contents: read
  id-token: write
  attestations: write
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
{steps.setup_wash(release_server.url)}
      - id: build
        uses: acme/wash-actions/actions/build@v1
        with:
          skip-fetch: true
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component_path: ${{{{ steps.build.outputs.component_path }}}}
          registry: {registry.host}
          repository: acme/migrated
          image_tags: v1,latest
          attestation: false
          insecure: true
"""
    release_server.store.stored.clear()
    env = {
        **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    result = act.run(workflow, project=EXAMPLES / "hello-python", name="migrated", env=env)
    assert result.returncode == 0, result.log[-4000:]
    publish = result.outputs("publish")
    # no sha256-<hex> referrers tag (not attested); the source key's tag beside the requested ones
    assert registry.tags("acme/migrated") == sorted(["latest", "v1", source_tag(publish)])
    assert publish["attestation-url"] == ""
    assert release_server.store.stored == []
    assert publish["all_digests"] == ",".join([publish["digest"]] * 2)


def test_a_tag_push_publishes_the_tag_as_written(act, release_server, registry):
    """wasmCloud/actions' image_tags defaults to github.ref_name: a workflow that relied on it keeps `v1.2.3`."""
    workflow = f"""
on: push
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
{steps.setup_wash(release_server.url)}
      - id: build
        uses: acme/wash-actions/actions/build@v1
        with:
          skip-fetch: true
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component_path: ${{{{ steps.build.outputs.component_path }}}}
          registry: {registry.host}
          repository: acme/tagged
          attestation: false
          insecure: true
"""
    # act takes github.ref from the event payload's "ref", as GitHub sets it for a tag push
    result = act.run(workflow, project=EXAMPLES / "hello-python", name="tagged", payload={"ref": "refs/tags/v1.2.3"})
    assert result.returncode == 0, result.log[-4000:]
    expected = ["1", "1.2", "1.2.3", "latest", "v1.2.3", source_tag(result.outputs("publish"))]
    assert registry.tags("acme/tagged") == sorted(expected)
    publish = result.outputs("publish")
    assert len(set(publish["all_digests"].split(","))) == 1


def test_a_release_rerun_on_a_fresh_runner_reuses_the_digest(act, release_server, registry, tmp_path):
    """Issue 28: the README's single-job workflow, a componentize-py project (not byte-reproducible), run twice on
    one commit on fresh runners with immutable-tags: releases. Run 2 builds other bytes, and publish reuses the
    digest of run 1 (same source): one digest, no refused release tag."""
    workflow = pipeline(release_server.url, registry.host, tags="v1.0.0").replace("acme/hello-python", "acme/same")
    workflow = workflow.replace(
        "          insecure: true\n", "          insecure: true\n          immutable-tags: releases\n"
    )
    runs = [
        act.run(
            workflow,
            project=EXAMPLES / "hello-python",
            cache=tmp_path / f"runner-{n}",
            name=f"same-source-{n}",
            commit_date="2026-05-01T12:00:00Z",
        )
        for n in range(2)
    ]
    for result in runs:
        assert result.returncode == 0, result.log[-4000:]
    first, again = (result.outputs("publish") for result in runs)
    assert first["source-key"] == again["source-key"] != ""
    assert runs[0].outputs("build")["component-sha256"] != runs[1].outputs("build")["component-sha256"]
    assert first["reused"] == "false" and again["reused"] == "true"
    assert again["digest"] == first["digest"]
    assert "reused the build of" in runs[1].log and "(same source)" in runs[1].log
    assert registry.manifest("acme/same", "v1.0.0").headers["Docker-Content-Digest"] == first["digest"]
