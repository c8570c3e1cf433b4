"""sigstore's wheels: pinned by the lock, checked before they are unpacked, refused when tampered with."""

from __future__ import annotations

import hashlib
import io
import sys
import time
import zipfile
from pathlib import Path

import pytest

from wash_actions.runner import extras


def wheel(directory: Path, name: str, files: dict[str, str]) -> Path:
    """A wheel file (a zip with a .dist-info), as pip downloads it."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    dist = name.replace("-", "_")
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{dist}-1.0.dist-info/METADATA", f"Name: {name}\nVersion: 1.0\n")
        archive.writestr(f"{dist}-1.0.dist-info/RECORD", "")
    path = directory / f"{dist}-1.0-py3-none-any.whl"
    path.write_bytes(buffer.getvalue())
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


LOCK = """\
# generated
alpha==1.0 \\
    --hash=sha256:{a} \\
    --hash=sha256:{other}
    # via sigstore
beta-pkg==1.0 \\
    --hash=sha256:{b}
"""


@pytest.fixture
def wheels(tmp_path: Path) -> tuple[Path, dict[str, set[str]]]:
    directory = tmp_path / "wheels"
    a = wheel(directory, "alpha", {"alpha/__init__.py": "A = 1\n"})
    b = wheel(
        directory,
        "beta-pkg",
        {
            "beta_pkg/__init__.py": "B = 2\n",
            "beta_pkg-1.0.data/purelib/beta_extra.py": "X = 3\n",
            "beta_pkg-1.0.data/scripts/beta": "#!/bin/sh\n",
        },
    )
    pins = extras.lock_hashes(LOCK.format(a=sha(a), b=sha(b), other="0" * 64))
    return directory, pins


def test_lock_hashes_reads_every_pin() -> None:
    pins = extras.lock_hashes(LOCK.format(a="1" * 64, b="2" * 64, other="3" * 64))
    assert pins == {"alpha==1.0": {"1" * 64, "3" * 64}, "beta-pkg==1.0": {"2" * 64}}


def test_the_committed_sigstore_lock_pins_every_requirement() -> None:
    root = Path(__file__).resolve().parents[2]
    pins = extras.lock_hashes((root / "requirements" / "sigstore.txt").read_text())
    assert "sigstore" in {name.split("==")[0] for name in pins}
    assert all(pins.values())


def test_checked_wheels_are_unpacked_like_pip_installs_them(wheels, tmp_path: Path) -> None:
    directory, pins = wheels
    target = tmp_path / "target"
    for path in extras.checked_wheels(directory, pins):
        extras.unpack(path, target)
    assert (target / "alpha" / "__init__.py").read_text() == "A = 1\n"
    assert (target / "beta_extra.py").read_text() == "X = 3\n"  # .data/purelib goes to the top level
    assert not list(target.glob("*.data"))  # scripts are left out
    assert (target / "beta_pkg-1.0.dist-info" / "METADATA").is_file()


def test_a_wheel_the_lock_does_not_pin_is_refused(wheels) -> None:
    directory, pins = wheels
    tampered = directory / "alpha-1.0-py3-none-any.whl"
    tampered.write_bytes(tampered.read_bytes() + b"\0")
    with pytest.raises(extras.Tampered, match=r"alpha-1\.0-py3-none-any\.whl .* is not pinned by the lock"):
        extras.checked_wheels(directory, pins)


def test_an_extra_wheel_is_refused(wheels) -> None:
    directory, pins = wheels
    wheel(directory, "gamma", {"gamma.py": ""})
    with pytest.raises(extras.Tampered, match="gamma"):
        extras.checked_wheels(directory, pins)


@pytest.mark.parametrize("present", [False, True], ids=["no-directory", "one-missing"])
def test_a_missing_wheel_is_reported(wheels, tmp_path: Path, present: bool) -> None:
    directory, pins = wheels
    if present:
        (directory / "beta_pkg-1.0-py3-none-any.whl").unlink()
    else:
        directory = tmp_path / "absent"
    with pytest.raises(extras.Tampered, match="no wheel for"):
        extras.checked_wheels(directory, pins)


def locked(directory: Path, tmp_path: Path) -> tuple[dict[str, bytes], Path]:
    """The fixture's wheels by name, and a lock file that pins them (what a download brings)."""
    good = {p.name: p.read_bytes() for p in directory.glob("*.whl")}
    lock = tmp_path / "sigstore.txt"
    lock.write_text(
        LOCK.format(
            a=sha(directory / "alpha-1.0-py3-none-any.whl"),
            b=sha(directory / "beta_pkg-1.0-py3-none-any.whl"),
            other="0" * 64,
        )
    )
    return good, lock


def test_install_refetches_tampered_wheels_then_unpacks(wheels, tmp_path: Path, monkeypatch) -> None:
    """A restored cache entry that fails the check is discarded and downloaded again, never unpacked."""
    directory, _ = wheels
    good, lock = locked(directory, tmp_path)
    (directory / "alpha-1.0-py3-none-any.whl").write_bytes(b"evil")
    downloads = []

    def download(lock_path: Path, wheels_dir: Path) -> None:
        downloads.append(lock_path)
        for name, data in good.items():
            (wheels_dir / name).write_bytes(data)

    monkeypatch.setattr(extras, "_download", download)
    where = extras.Place(lock, tmp_path / "target", directory, "key")
    extras.install(where)
    assert downloads == [lock]
    assert (tmp_path / "target" / "alpha" / "__init__.py").read_text() == "A = 1\n"
    assert (tmp_path / "target" / extras.MARKER).is_file()
    # the download replaced the tampered directory: it is what actions/cache saves for the next runner
    assert {p.name: p.read_bytes() for p in directory.glob("*.whl")} == good


def test_what_is_unpacked_is_the_bytes_that_were_checked(wheels, tmp_path: Path) -> None:
    """A wheel file replaced after its check (a restore or another process's download) is never read again."""
    directory, pins = wheels
    checked = extras.checked_wheels(directory, pins)
    for path in directory.glob("*.whl"):
        path.write_bytes(b"replaced after the check")
    target = tmp_path / "target"
    for one in checked:
        extras.unpack(one, target)
    assert (target / "alpha" / "__init__.py").read_text() == "A = 1\n"


def test_a_wheel_removed_while_it_is_listed_is_a_miss_not_a_crash(wheels, monkeypatch) -> None:
    directory, pins = wheels
    listed = sorted(directory.glob("*.whl"))
    listed[0].unlink()
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter(listed))
    with pytest.raises(extras.Tampered, match="could not be read"):
        extras.checked_wheels(directory, pins)


def test_two_threads_install_once(wheels, tmp_path: Path, monkeypatch) -> None:
    """publish's preload thread and its verifier may both need sigstore at once (CI saw the second one remove the
    wheel directory the first was unpacking): one installs, the other waits and uses it."""
    import threading

    directory, _ = wheels
    good, lock = locked(directory, tmp_path)
    downloads = []
    both_started = threading.Barrier(2, timeout=10)

    def download(lock_path: Path, destination: Path) -> None:
        downloads.append(destination)
        time.sleep(0.3)  # pip takes seconds: without the lock, the other thread starts its own download meanwhile
        for name, data in good.items():
            (destination / name).write_bytes(data)

    monkeypatch.setattr(extras, "_download", download)
    monkeypatch.setattr(sys, "path", list(sys.path))  # _ensure puts the target on it
    where = extras.Place(lock, tmp_path / "target", tmp_path / "empty-cache", "key")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            both_started.wait()
            extras._ensure(where)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(downloads) == 1
    assert (where.target / "alpha" / "__init__.py").read_text() == "A = 1\n"
    assert sys.path.count(str(where.target)) == 1  # on sys.path once, whichever thread got there


def test_yaml_is_used_as_is_only_at_the_locked_version(tmp_path: Path) -> None:
    """The test venv's PyYAML is the lock's version; a lock that pins another one makes ensure_yaml install it."""
    root = Path(__file__).resolve().parents[2]
    assert extras._has_locked_yaml(root / "requirements" / "yaml.txt")
    other = tmp_path / "yaml.txt"
    other.write_text("pyyaml==5.4.1 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert not extras._has_locked_yaml(other)


def test_the_yaml_lock_pins_the_version_the_tests_run() -> None:
    root = Path(__file__).resolve().parents[2]
    dev = extras.lock_hashes((root / "requirements" / "dev.txt").read_text())
    runtime = extras.lock_hashes((root / "requirements" / "yaml.txt").read_text())
    assert set(runtime) == {"pyyaml==6.0.3"}
    assert runtime["pyyaml==6.0.3"] == dev["pyyaml==6.0.3"]
