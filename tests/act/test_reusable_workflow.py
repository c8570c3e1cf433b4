"""The reusable workflow for monorepos through act, called as users call it:
``uses: acme/wash-actions/.github/workflows/wasm-component.yml@v1`` on a repository with two components.

act runs a remote reusable workflow from a ``--local-repository`` mapping (it reads the workflow file out of
the mapped folder); the workflow's own ``OWNER/wash-actions`` references map to the same export, and
actions/upload-artifact and download-artifact to local stand-ins (tests/stacks/*-artifact), since GitHub's
artifact service is not there offline.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, WASH_VERSION
from tests.stacks.act import setup_wash_only

pytestmark = pytest.mark.act

MONOREPO = ROOT / "tests" / "fixtures" / "monorepo"


def monorepo(dest: Path) -> Path:
    """The fixture with the JS example's node_modules linked in (as copy_project does for examples)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(MONOREPO, dest)
    (dest / "components" / "js" / "node_modules").symlink_to(EXAMPLES / "hello-js" / "node_modules")
    return dest


def caller(release_url: str, registry_host: str, **extra: str) -> str:
    more = "".join(f"\n      {key}: {value}" for key, value in extra.items())
    return f"""
on: push
jobs:
  components:
    uses: acme/wash-actions/.github/workflows/wasm-component.yml@v1
    with:
      wash-version: {WASH_VERSION}
      github-api-url: {release_url}
      verify: false
      registry: {registry_host}
      insecure: true
      repository-prefix: Acme/Mono
      tags: v2.0.0{more}
  report:
    needs: components
    if: always()
    runs-on: ubuntu-latest
    steps:
      - id: results
        shell: bash
        env:
          RESULTS: ${{{{ needs.components.outputs.results }}}}
          COUNT: ${{{{ needs.components.outputs.count }}}}
        run: |
          printf '%s' "$RESULTS" > "$ACT_TEST_OUT/results.txt"
          printf '%s' "$COUNT" > "$ACT_TEST_OUT/count.txt"
"""


def reported(act, name: str, what: str) -> str:
    """What the caller's report job wrote (the reusable workflow's outputs, as the caller sees them)."""
    return (act.base / "runs" / name / "out" / f"{what}.txt").read_text()


def collected(result) -> list[dict[str, str]]:
    """The collect job's results output, read from act's log: when a matrix leg failed, act runs no job of
    the caller after the reusable workflow, though the workflow's own collect job (if: always()) still ran."""
    marker = "::set-output:: results="
    lines = [line for line in result.log.splitlines() if marker in line]
    assert lines, result.log[-4000:]
    return json.loads(lines[-1].split(marker, 1)[1])


def test_every_component_of_the_monorepo_is_built_and_published(act, release_server, registry, tmp_path):
    # wash is installed once first, so both matrix legs (which act runs at once, on one host) find it in the
    # shared tool cache. With a cold cache both legs save the same actions/cache key at the same moment, and
    # the local actions/cache stand-in fails the second save (ENOTEMPTY), where GitHub's only warns.
    warm = act.run(
        setup_wash_only(WASH_VERSION, release_server.url),
        name="reusable-warm",
    )
    assert warm.returncode == 0, warm.log[-3000:]

    result = act.run(
        caller(release_server.url, registry.host, include="components/*", prepare='echo "prepared $(basename "$PWD")"'),
        project=monorepo(tmp_path / "monorepo"),
        name="reusable",
    )
    assert result.returncode == 0, result.log[-6000:]
    assert reported(act, "reusable", "count") == "2"
    found = json.loads(reported(act, "reusable", "results"))
    assert collected(result) == found
    assert [(r["name"], r["path"], r["outcome"]) for r in found] == [
        ("js", "components/js", "success"),
        ("py", "components/py", "success"),
    ]
    for entry in found:
        repository = f"acme/mono/{entry['name']}"  # the prefix was lower-cased
        digest = entry["digest"]
        assert digest.startswith("sha256:")
        assert entry["image-ref"] == f"{registry.host}/{repository}@{digest}"
        assert registry.manifest(repository, "v2.0.0").headers["Docker-Content-Digest"] == digest
        (layer,) = registry.manifest(repository, digest).json()["layers"]
        assert hashlib.sha256(registry.blob(repository, layer["digest"])).hexdigest() == entry["component-sha256"]
        assert entry["attestation-url"] == ""  # no OIDC token under act
    assert "Successfully written" in result.log  # jco built the JS component in its own leg
    assert "prepared js" in result.log and "prepared py" in result.log  # `prepare` ran in each project


def test_a_failing_component_is_reported_and_the_others_still_publish(act, release_server, registry, tmp_path):
    repo = monorepo(tmp_path / "monorepo-broken")
    config = repo / "components" / "js" / ".wash" / "config.yaml"
    config.write_text(config.read_text().replace("npm run build", "npm run no-such-script"))
    result = act.run(
        caller(release_server.url, registry.host, tags="broken", push="true"),
        project=repo,
        name="reusable-broken",
    )
    assert result.returncode != 0  # the failed leg fails the run
    found = {r["name"]: r for r in collected(result)}
    assert found["js"]["outcome"] == "failure"
    assert found["js"]["digest"] == ""
    assert found["py"]["outcome"] == "success"
    assert registry.manifest("acme/mono/py", "broken").headers["Docker-Content-Digest"] == found["py"]["digest"]
    assert "wash build failed" in result.log


def test_no_project_matching_include_fails_discover_with_one_clear_error(act, release_server, registry, tmp_path):
    result = act.run(
        caller(release_server.url, registry.host, include="services/*"),
        project=monorepo(tmp_path / "monorepo-none"),
        name="reusable-none",
    )
    assert result.returncode != 0
    (error,) = result.errors()
    assert "include/exclude left none of the 2 wash projects" in error, result.log[-3000:]
    assert "Traceback" not in result.log


def test_a_commit_that_changes_one_project_publishes_one_new_digest(act, release_server, registry, tmp_path):
    """Issue 28: a monorepo of three real projects (componentize-py twice, jco). The second commit changes one of
    them: that one builds and gets a new digest; the other two are pulled (not built) and their tags for the new
    commit resolve to the digests they already had."""
    warm = act.run(
        setup_wash_only(WASH_VERSION, release_server.url),
        name="same-source-warm",
    )
    assert warm.returncode == 0, warm.log[-3000:]
    repo = monorepo(tmp_path / "monorepo-three")
    shutil.copytree(repo / "components" / "py", repo / "components" / "py2")
    results = []
    for n, date in enumerate(["2026-05-01T12:00:00Z", "2026-05-02T12:00:00Z"]):
        if n == 1:
            app = repo / "components" / "py" / "app.py"
            app.write_text(app.read_text() + "\n# changed in the second commit\n")
        wf = caller(release_server.url, registry.host, include="components/*").replace("tags: v2.0.0", f"tags: c{n}")
        wf = wf.replace("repository-prefix: Acme/Mono", "repository-prefix: acme/same")  # not the other tests' repos
        result = act.run(wf, project=repo, name=f"same-source-{n}", commit_date=date)
        assert result.returncode == 0, "\n".join(x for x in result.log.splitlines() if "error" in x.lower())[-6000:]
        results.append({r["name"]: r for r in json.loads(reported(act, f"same-source-{n}", "results"))})
    first, second = results
    assert sorted(first) == sorted(second) == ["js", "py", "py2"]
    assert all(r["reused"] == "false" for r in first.values())
    assert second["py"]["reused"] == "false" and second["py"]["digest"] != first["py"]["digest"]
    for name in ("js", "py2"):
        assert second[name]["reused"] == "true"
        assert second[name]["digest"] == first[name]["digest"]
        assert registry.manifest(f"acme/same/{name}", "c1").headers["Docker-Content-Digest"] == first[name]["digest"]
    new = {r["digest"] for r in second.values()} - {r["digest"] for r in first.values()}
    assert new == {second["py"]["digest"]}  # exactly one new digest

    # changed: only — a third commit changes py2: only its job starts; the others are tagged by discover
    app = repo / "components" / "py2" / "app.py"
    app.write_text(app.read_text() + "\n# changed in the third commit\n")
    wf = caller(release_server.url, registry.host, include="components/*", changed="only")
    wf = wf.replace("repository-prefix: Acme/Mono", "repository-prefix: acme/same")
    result = act.run(
        wf.replace("tags: v2.0.0", "tags: c2"), project=repo, name="same-source-2", commit_date="2026-05-03T12:00:00Z"
    )
    assert result.returncode == 0, "\n".join(x for x in result.log.splitlines() if "error" in x.lower())[-6000:]
    third = {r["name"]: r for r in json.loads(reported(act, "same-source-2", "results"))}
    assert sorted(third) == ["js", "py", "py2"]
    assert reported(act, "same-source-2", "count") == "1"
    assert "components/wasm-component/py2" in result.log
    assert "components/wasm-component/js" not in result.log and "components/wasm-component/py-" not in result.log
    for name in ("js", "py"):
        assert third[name]["outcome"] == "unchanged" and third[name]["digest"] == second[name]["digest"]
        assert registry.manifest(f"acme/same/{name}", "c2").headers["Docker-Content-Digest"] == second[name]["digest"]
    assert third["py2"]["reused"] == "false" and third["py2"]["digest"] != second["py2"]["digest"]
