"""README's "Runners" table lists exactly the images the self-test runs, and says what the code does there."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(?P<image>[^`]+)` \| (?P<what>.+) \|$")


def table() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Runners\n", 1)[1].split("\n## ", 1)[0]
    return {m["image"]: m["what"] for line in section.splitlines() if (m := ROW.match(line))}


def selftest_images() -> set[str]:
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "selftest.yml").read_text(encoding="utf-8"))["jobs"]
    images = set(jobs["runners"]["strategy"]["matrix"]["os"])
    images |= {entry["image"] for entry in jobs["containers"]["strategy"]["matrix"]["include"]}
    return images


def test_table_lists_every_selftest_image_and_only_those():
    assert set(table()) == selftest_images()


def test_container_rows_match_the_expected_outcomes():
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "selftest.yml").read_text(encoding="utf-8"))["jobs"]
    rows = table()
    for entry in jobs["containers"]["strategy"]["matrix"]["include"]:
        verb = "fail" if entry["expected"] == "failure" else "use"
        assert rows[entry["image"]].startswith(f"(container job) {verb}")


def test_rows_that_install_python_are_the_images_whose_python3_is_too_old():
    """ubuntu-22.04's python3 is 3.10.12 (actions/runner-images Ubuntu2204-Readme): the only hosted image
    where find-python answers provision=true, so the only row that names actions/setup-python as its action."""
    installs = {image for image, what in table().items() if what.startswith("its `python3` is 3.10: install")}
    assert installs == {"ubuntu-22.04"}


def test_macos_and_windows_rows_name_the_shell_the_steps_run_in():
    rows = table()
    assert all("bash 3.2" in what for image, what in rows.items() if image.startswith("macos-"))
    assert all("Git Bash" in what for image, what in rows.items() if image.startswith("windows-"))
