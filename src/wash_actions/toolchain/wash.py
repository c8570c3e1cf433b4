"""Run wash with ``-o json``, find its envelope, and return typed results.

wash prints ``{"message", "success", "data"}`` last on stdout. A build command's own output comes
first (componentize-py and ``npm run build`` print there, sometimes JSON of their own), a few early
errors put the envelope on stderr instead, and usage errors are plain text on stderr with exit 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

from ..errors import ActionError
from ..runner import gha

_DECODER = json.JSONDecoder()
_CANDIDATE = re.compile(r'(?m)^[ \t]*\{|\{\s*"message"')
_BACKTRACE = re.compile(r"\n*Stack backtrace:\n(?:\s+\d+:.*\n?|\s+at .*\n?)*", re.MULTILINE)


class Envelope(NamedTuple):
    message: str
    success: bool
    data: Any


class WashRun(NamedTuple):
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    envelope: Envelope | None = None

    def output(self) -> str:
        """Everything the command printed except wash's envelope: the build's own output, then stderr."""
        stdout = self.stdout
        if self.envelope is not None:
            start = _envelope_start(stdout)
            if start is not None:
                stdout = stdout[:start]
        return "\n".join(part for part in (stdout.rstrip(), self.stderr.rstrip()) if part)

    def tail(self, lines: int = 20) -> str:
        """The last lines of :meth:`output`, for error messages."""
        return "\n".join(self.output().splitlines()[-lines:])


def clean_message(message: str) -> str:
    """wash appends a ``Stack backtrace:`` block of ``<unknown>`` frames; users need none of it."""
    return _BACKTRACE.sub("\n", message).strip()


def _as_envelope(value: object) -> Envelope | None:
    if isinstance(value, dict) and isinstance(value.get("success"), bool) and "message" in value:
        return Envelope(
            message=clean_message(str(value.get("message") or "")),
            success=value["success"],
            data=value.get("data"),
        )
    return None


def _envelope_start(text: str) -> int | None:
    """Where the envelope that ends ``text`` begins."""
    stripped = text.rstrip()
    starts = sorted({stripped.index("{", m.start()) for m in _CANDIDATE.finditer(stripped)})
    for begin in reversed(starts):
        try:
            value, end = _DECODER.raw_decode(stripped, begin)
        except json.JSONDecodeError:
            continue
        if end == len(stripped) and _as_envelope(value) is not None:
            return begin
    return None


def find_envelope(text: str) -> Envelope | None:
    """The envelope is the JSON object that ends the text. Anything may precede it.

    Candidates are the ``{`` that start a line and any ``{"message"`` (a failing jco leaves a
    prompt without a newline before it), tried from the last one backwards: the first that decodes
    to a complete envelope running to the end of the text wins. Objects a build printed earlier
    never run to the end, and the envelope's inner objects do not parse as an envelope.
    """
    stripped = text.rstrip()
    if not stripped.endswith("}"):
        return None
    begin = _envelope_start(stripped)
    return None if begin is None else _as_envelope(_DECODER.raw_decode(stripped, begin)[0])


def locate(wash: str | None = None) -> str:
    """The wash binary: an explicit path (setup-wash's ``wash-path`` output) or ``wash`` on PATH."""
    if wash:
        path = Path(wash)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise ActionError(
            what=f"wash not found at {wash}",
            why="The 'wash-path' input names a file that does not exist or is not executable.",
            fix="Pass the output of setup-wash:\nwith:\n  wash-path: ${{ steps.setup-wash.outputs.wash-path }}",
            docs="#setup-wash",
        )
    found = shutil.which("wash")
    if found:
        return found
    raise ActionError(
        what="wash is not installed",
        why="No 'wash' executable is on PATH, and no 'wash-path' input was given.",
        fix="Install it first in the same job:\n"
        "- uses: OWNER/wash-actions/actions/setup-wash@v1\n  with:\n    wash-version: latest",
        docs="#setup-wash",
    )


def _pump(source: IO[str], sink: IO[str] | None, chunks: list[str]) -> None:
    """Collect a child's output; echo each line to the log through gha, never as a workflow command."""
    for line in iter(source.readline, ""):
        chunks.append(line)
        if sink is not None:
            gha.emit(line.rstrip("\r\n"), stream=sink)
    source.close()


TIMEOUT_ENV = "WASHACTIONS_WASH_TIMEOUT"  # seconds, for every wash child process (tests, very long builds)
# generous overall deadlines per wash command: a build may compile a large project, a push a large component
TIMEOUTS = {"build": 3600.0, "oci": 900.0}
DEFAULT_TIMEOUT = 600.0


def timeout_for(args: Sequence[str], environ: Mapping[str, str] | None = None) -> float:
    """The overall deadline for ``wash <args>``: ``WASHACTIONS_WASH_TIMEOUT`` if set, else per command."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    try:
        if raw and float(raw) > 0:
            return float(raw)
    except ValueError:
        pass
    return TIMEOUTS.get(args[0] if args else "", DEFAULT_TIMEOUT)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """End wash and everything it started (its own process group / session)."""
    if proc.poll() is not None and os.name == "nt":
        return
    try:
        if os.name == "nt":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def timed_out(args: Sequence[str], seconds: float, tail: str) -> ActionError:
    """The error for a wash command stopped at its deadline, with how to raise the limit."""
    command = " ".join(["wash", *args[:2]])
    return ActionError(
        what=f"{command} did not finish within {seconds:g} s and was stopped",
        why="wash (or a process it started, such as the build command) kept running past the step's deadline: "
        "a hung build, a prompt waiting for input, or a stalled network transfer.",
        fix="Find what hangs in the output below. If the work is genuinely this slow, raise the limit (seconds):\n"
        f'env:\n  {TIMEOUT_ENV}: "{int(seconds * 2)}"',
        docs="#readme",
        details=tail,
    )


def run(
    wash: str,
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
    timeout: float | None = None,
) -> WashRun:
    """Run ``wash <args> -o json``, optionally echoing its output live, and parse the envelope.

    The process runs in its own process group with an overall deadline (:func:`timeout_for`); past it,
    or when this process is interrupted, the whole group is killed.
    """
    argv = (wash, *args, "-o", "json")
    limit = timeout if timeout is not None else timeout_for(args)
    group: dict[str, Any]
    if sys.platform == "win32":
        group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        group = {"start_new_session": True}
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            **group,
        )
    except OSError as exc:
        raise ActionError(
            what=f"Could not start wash ({wash})",
            why=str(exc),
            fix="Install wash with the setup-wash action in the same job before this step.",
            docs="#setup-wash",
        ) from None
    out: list[str] = []
    err: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None
    threads = [
        threading.Thread(target=_pump, args=(proc.stdout, sys.stdout if echo else None, out)),
        threading.Thread(target=_pump, args=(proc.stderr, sys.stderr if echo else None, err)),
    ]
    for thread in threads:
        thread.start()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _kill_group(proc)

    watchdog = threading.Timer(limit, expire)  # not Popen.wait(timeout): that polls with time.sleep
    watchdog.daemon = True
    watchdog.start()
    try:
        returncode = proc.wait()
    except BaseException:  # interrupted (cancel): never leave wash running
        _kill_group(proc)
        raise
    finally:
        watchdog.cancel()
    if expired.is_set():
        for thread in threads:
            thread.join(5)
        tail = "\n".join("".join(out + err).splitlines()[-20:])
        raise timed_out(args, limit, tail)
    for thread in threads:
        thread.join()
    stdout, stderr = "".join(out), "".join(err)
    envelope = find_envelope(stdout) or find_envelope(stderr)
    return WashRun(argv, returncode, stdout, stderr, envelope)
