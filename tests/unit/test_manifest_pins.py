"""manifest_pins: golden files on wasmCloud's own manifests and hand-written ones (comments, anchors, flow style,
CRLF, several documents, kustomize), the rule that only image lines change, idempotence, and hostile YAML.

Set WASHACTIONS_UPDATE_GOLDEN=1 to rewrite the golden files after a reviewed change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from wash_actions.deploy import pins
from wash_actions.errors import ActionError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "wasmcloud-samples"  # wasmCloud's own, unchanged
GOLDEN = FIXTURES / "golden"
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64
IMAGES = "\n".join(
    [
        # wasmCloud's samples: same tag, new digest
        f"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@{A}",
        f"ghcr.io/wasmcloud/components/blobby-rust:0.5.1@{B}",
        f"ghcr.io/wasmcloud/components/hello-world:0.1.0@{C}",
        # the hand-written ones: a new tag, a line without tag, the "reference digest" form
        f"ghcr.io/acme/shop-api:1.5.0@{A}",
        f"ghcr.io/acme/cart@{B}",
        f"ghcr.io/acme/worker:0.3.0 {C}",
        f"ghcr.io/acme/sidecar:0.1.0@{A}",
    ]
)
FILES = sorted([*SAMPLES.glob("*.yaml"), *FIXTURES.glob("crafted/*.yaml")])


def promote(text: str, name: str, images: str = IMAGES) -> tuple[str, pins.Plan]:
    sites, skipped = pins.find_sites(text, name, name=Path(name).name)
    plan = pins.plan(sites, pins.parse_images(images), skipped)
    new = pins.apply(text, plan.changes)
    pins.check_applied(new, name, Path(name).name, plan.changes)
    return new, plan


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    source = path.read_bytes().decode()
    new, plan = promote(source, path.name)
    golden = GOLDEN / path.name
    if os.environ.get("WASHACTIONS_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(new.encode())
    assert new == golden.read_bytes().decode()
    # the diff is exactly the image lines: one changed line per edited scalar (or one added digest line)
    edits = list(pins.changed(plan.changes))
    removed, added = changed_lines(source, new)
    new_lines = [c for c in edits if c.site.start == c.site.end and "\n" in c.site.add_prefix]
    touched = {source.count("\n", 0, c.site.start) for c in edits if c not in new_lines}
    assert len(removed) == len(touched)
    assert len(added) == len(touched) + len(new_lines)
    for line in removed:
        assert "image" in line or "digest" in line or "name:" in line, line
    for line in added:
        assert any(c.new in line for c in edits), line


def test_golden_files_change_what_the_issue_expects() -> None:
    """Spot checks a reader can follow in the golden files themselves."""
    hello = (GOLDEN / "deployment.yaml").read_text()
    assert f"image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@{A}\n" in hello
    crafted = (GOLDEN / "anchors-comments.yaml").read_text()
    assert f'image: &api "ghcr.io/acme/shop-api:1.5.0@{A}"   # pinned by promote' in crafted  # quoting, comment
    assert f"image: 'ghcr.io/acme/cart:2.0.1@{B}'" in crafted  # old digest replaced, tag kept
    assert f"{{name: worker, image: ghcr.io/acme/worker:0.3.0@{C}, poolSize: 4}}" in crafted  # flow style
    assert "image: *api\n" in crafted  # the alias follows its anchor
    assert "image: docker.io/library/nginx:1.27  # not ours" in crafted
    assert "stringData:\n  image: ghcr.io/acme/shop-api:1.4.0\n" in crafted  # a Secret is not a workload
    kustomize = (GOLDEN / "kustomization.yaml").read_text()
    assert f"    newTag: 1.4.0     # bumped by release\n    digest: {A}\n" in kustomize  # added, the only new key
    assert f"    digest: {B}\n" in kustomize
    assert f"{{name: ghcr.io/acme/worker, newTag: 0.3.0, digest: {C}}}" in kustomize


def test_crlf_is_kept(tmp_path: Path) -> None:
    for name in ("anchors-comments.yaml", "kustomization.yaml"):
        source = (FIXTURES / "crafted" / name).read_text().replace("\n", "\r\n")
        new, _ = promote(source, name)
        assert new == (GOLDEN / name).read_text().replace("\n", "\r\n")
        assert "\n" not in new.replace("\r\n", "")


def test_no_final_newline_and_a_bom() -> None:
    source = "\ufeffimages:\n- name: ghcr.io/acme/cart\n  newTag: v1"
    new, _ = promote(source, "kustomization.yaml")
    assert new == f"\ufeffimages:\n- name: ghcr.io/acme/cart\n  newTag: v1\n  digest: {B}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_idempotent(path: Path) -> None:
    once, _ = promote(path.read_text(), path.name)
    twice, plan = promote(once, path.name)
    assert twice == once
    assert not list(pins.changed(plan.changes))


def test_not_promoted_and_skipped_are_listed() -> None:
    _, plan = promote((FIXTURES / "crafted" / "anchors-comments.yaml").read_text(), "x.yaml")
    assert [str(s.ref) for s in plan.not_promoted] == ["docker.io/library/nginx:1.27"]
    assert plan.skipped == ["x.yaml: Secret not-an-image"]
    _, plan = promote((SAMPLES / "hpa.yaml").read_text(), "hpa.yaml")
    assert plan.skipped == ["hpa.yaml: HorizontalPodAutoscaler hello"] and not plan.changes


def test_docker_hub_short_names_are_one_repository() -> None:
    text = "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Artifact\nspec:\n  image: nginx:1.27\n"
    new, _ = promote(text, "a.yaml", f"docker.io/library/nginx:1.27@{A}")
    assert new.endswith(f"  image: nginx:1.27@{A}\n")


def test_artifact_references_are_not_images() -> None:
    text = (
        "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: WorkloadDeployment\nspec:\n  template:\n    spec:\n"
        "      components:\n        - name: a\n          image: artifact://shop-api\n"
    )
    sites, _ = pins.find_sites(text, "d.yaml")
    assert sites == []


# -- one clear error -------------------------------------------------------------------------------------------


def workload(image: str) -> str:
    return f"apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Workload\nspec:\n  components:\n    - image: {image}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(workload(f"ghcr.io/acme/a:1@{A[:-1]}"), "is not a digest", id="digest-63"),
        pytest.param(workload(f"ghcr.io/acme/a:1@{A}0"), "is not a digest", id="digest-65"),
        pytest.param(workload("ghcr.io/acme/a:1@sha256:" + "A" * 64), "is not a digest", id="digest-upper"),
        pytest.param(workload("ghcr.io/Acme/a:1"), "is not an image reference", id="upper-case-repo"),
        pytest.param(workload("|\n        ghcr.io/acme/a:1"), "block scalar", id="block-scalar"),
        pytest.param("a: [unclosed\n", "is not valid YAML", id="not-yaml"),
        pytest.param("[" * 5000 + "]" * 5000, "nests deeper", id="deep-nesting"),
    ],
)
def test_bad_manifests_get_one_clear_error(text: str, expected: str) -> None:
    with pytest.raises(ActionError) as caught:
        pins.find_sites(text, "deploy/app.yaml")
    assert expected in caught.value.what
    assert "deploy/app.yaml" in caught.value.what


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        pytest.param("ghcr.io/acme/a:1", "has no digest", id="tag-only"),
        pytest.param(f"ghcr.io/acme/a:1@{A[:-2]}", "is not a digest", id="short-digest"),
        pytest.param(f"ghcr.io/acme/a@{A} {B}", "two digests", id="two-digests"),
        pytest.param(f"ghcr.io/acme/a:1@{A}\nghcr.io/acme/a:1@{B}", "two different digests", id="conflict"),
        pytest.param("a b c", "3 words", id="words"),
        pytest.param('["x", 1]', "list of strings", id="json-shape"),
        pytest.param("ghcr.io/acme/a:1\u0000@" + A, "is not an image reference", id="control-char"),
    ],
)
def test_bad_images_get_one_clear_error(images: str, expected: str) -> None:
    with pytest.raises(ActionError) as caught:
        pins.parse_images(images)
    assert expected in str(caught.value)


def test_json_list_of_images() -> None:
    parsed = pins.parse_images(f'["ghcr.io/acme/a:1@{A}", "ghcr.io/acme/b@{B}"]')
    assert sorted(parsed) == ["ghcr.io/acme/a", "ghcr.io/acme/b"]


def test_ambiguous_images_are_an_error() -> None:
    sites, _ = pins.find_sites(workload("ghcr.io/acme/a:3"), "w.yaml")
    images = pins.parse_images(f"ghcr.io/acme/a:1@{A}\nghcr.io/acme/a:2@{B}")
    with pytest.raises(ActionError, match="matches 2 lines of images"):
        pins.plan(sites, images)
    sites, _ = pins.find_sites(workload("ghcr.io/acme/a:2"), "w.yaml")
    assert pins.plan(sites, images).changes[0].new == f"ghcr.io/acme/a:2@{B}"


# -- hostile ----------------------------------------------------------------------------------------------------


def test_yaml_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n---\n" + workload("ghcr.io/acme/cart:1")
    with pytest.raises(ActionError, match="tag") as caught:
        promote(text, "t.yaml")
    assert caught.value.what.startswith("t.yaml:1:")
    assert not marker.exists()
    with pytest.raises(ActionError, match="tag"):
        promote(workload("!custom ghcr.io/acme/cart:1"), "t.yaml")
    new, _ = promote(workload("!!str ghcr.io/acme/cart:1"), "t.yaml")  # a core-schema tag is plain data
    assert new.endswith(f"image: !!str ghcr.io/acme/cart:1@{B}\n")


def test_alias_bomb_is_refused_not_expanded() -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):  # 10^12 leaves when expanded
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    text = "\n".join(bomb) + "\n---\n" + workload("ghcr.io/acme/cart:1")
    with pytest.raises(ActionError, match="aliases expanded"):
        promote(text, "bomb.yaml")


def test_anchored_images_are_edited_once_and_aliases_follow() -> None:
    text = workload('&img "ghcr.io/acme/cart:1"') + "    - image: *img\n"
    new, plan = promote(text, "w.yaml")
    assert len(plan.changes) == 1
    assert new.endswith(f'image: &img "ghcr.io/acme/cart:1@{B}"\n    - image: *img\n')


def test_ten_thousand_images() -> None:
    lines = ["apiVersion: runtime.wasmcloud.dev/v1alpha1", "kind: Workload", "spec:", "  components:"]
    lines += [f"    - {{name: c{i}, image: ghcr.io/acme/c{i}:1}}" for i in range(10_000)]
    text = "\n".join(lines) + "\n"
    images = "\n".join(f"ghcr.io/acme/c{i}:1@{A}" for i in range(0, 10_000, 2))
    new, plan = promote(text, "big.yaml", images)
    assert len(plan.changes) == 5_000 and len(plan.not_promoted) == 5_000
    assert new.count(A) == 5_000
    assert f"{{name: c9998, image: ghcr.io/acme/c9998:1@{A}}}" in new
    assert "{name: c9999, image: ghcr.io/acme/c9999:1}" in new
