"""The only module that talks to the runner: inputs, outputs, env, PATH, summary, annotations.

Inputs arrive as ``WASHACTIONS_INPUT_<NAME>`` variables that each action.yml maps explicitly in its
step's ``env:``. GitHub does not set ``INPUT_*`` for composite actions, and wash reads every
``WASH_*`` variable as a config override, so neither prefix is used.

Standard library only. Every line printed to the log goes through :func:`emit`, which turns text that
came from outside (directory names, manifest descriptions, URLs, wash's and the build's output) into
text the runner shows but never runs as a workflow command, and hides what looks like a credential.
The runner's rules (actions/runner ``src/Runner.Common/ActionCommand.cs``): a line is a command when,
with leading whitespace trimmed, it starts with ``::``; the legacy form ``##[name]`` counts anywhere
in the line. Command data escapes ``%``, CR and LF; properties also ``:`` and ``,``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from ..errors import ActionError, cap
from ..markdown import code as code
from ..markdown import text as text

INPUT_PREFIX = "WASHACTIONS_INPUT_"
TRUE = frozenset({"true", "yes", "1", "on"})
FALSE = frozenset({"false", "no", "0", "off", ""})

# CreateStepSummaryCommand.AttachmentSizeLimit (actions/runner src/Runner.Worker/FileCommandManager.cs):
# a step summary over 1 MiB is dropped whole, with an error. Stay well below it.
SUMMARY_LIMIT = 1024 * 1024 - 64 * 1024
TITLE_LIMIT = 200
ANNOTATION_LIMIT = 4096  # characters of an ::error/::warning message; the full text is in the summary
BREAK = "\u200b"  # zero-width space: not whitespace to .NET's TrimStart, invisible in the log
_COMMAND_START = re.compile(r"^(\s*):(?=:)")
_LEGACY = "##["
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # the runner reads its output with .NET's ReadLine: all three end a line
_USERINFO = re.compile(r"(?<![\w.%+-])([\w.%+-]+):([^\s/@:'\"`]+)@(?!sha\d+:)(?=[\w.\[-])")
_AUTH_HEADER = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}", re.IGNORECASE)


class Inputs:
    """Read-only view of the inputs an action.yml mapped for this step."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    def get(self, name: str, default: str = "") -> str:
        key = INPUT_PREFIX + name.upper().replace("-", "_")
        value = self._env.get(key, "").strip()
        return value or default

    def bool(self, name: str, default: bool = False) -> bool:
        raw = self.get(name)
        if not raw:
            return default
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise ActionError(
            what=f"Input '{name}' must be true or false, not {raw!r}",
            why="Boolean inputs accept true/false (also yes/no, on/off, 1/0).",
            fix=f"with:\n  {name}: true",
        )

    def list(self, name: str) -> list[str]:
        """A comma- or newline-separated list; blanks dropped, order kept, duplicates removed."""
        items: list[str] = []
        for line in self.get(name).replace(",", "\n").splitlines():
            item = line.strip()
            if item and item not in items:
                items.append(item)
        return items

    def secret(self, name: str, default: str = "") -> str:
        """A credential. It is never printed, not even in an ``::add-mask::`` command: the runner already
        masks ``secrets.*`` and ``github.token``, and a mask command would put the value itself into logs
        that keep command arguments (act's JSON log does)."""
        return self.get(name, default)


def env(name: str, default: str = "") -> str:
    """A runner-provided variable (GITHUB_*, RUNNER_*)."""
    return os.environ.get(name, "") or default


def is_rerun(attempt: str) -> bool:
    """Whether ``attempt`` (``GITHUB_RUN_ATTEMPT``: "1" on a run's first attempt, "" outside a run) is a re-run."""
    return attempt not in ("", "1")


_EVENTS: dict[str, dict[str, object]] = {}


def event_payload() -> dict[str, object]:
    """The event payload (``GITHUB_EVENT_PATH``), read once per file; {} without one or when it is not a JSON
    object."""
    import json

    path = env("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        stat = Path(path).stat()
    except OSError:
        return {}
    key = f"{path}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}"  # the same file, unchanged
    if key not in _EVENTS:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        _EVENTS[key] = data if isinstance(data, dict) else {}
    return _EVENTS[key]


def workspace() -> Path:
    """The job's workspace (``GITHUB_WORKSPACE``), else the current directory."""
    return Path(env("GITHUB_WORKSPACE") or os.getcwd())


def temp_dir() -> Path:
    """``RUNNER_TEMP``, else the system's temporary directory."""
    base = env("RUNNER_TEMP")
    if base:
        return Path(base)
    import tempfile  # outside a runner only: a step starts without it

    return Path(tempfile.gettempdir())


def docker_config_dir() -> Path:
    """Where docker login / docker/login-action keep credentials: ``DOCKER_CONFIG``, else ``~/.docker``."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


# The repository of the action a step runs: every step maps ``github.action_repository`` here in its env:, the one
# way a composite's run: step learns it (the runner clears GITHUB_ACTION_REPOSITORY there; actions/runner
# src/Runner.Worker/ActionRunner.cs, issue #2473). It names the repository of the step's ``uses:``, also when the
# reusable workflow's ``$/actions/...`` resolved it to its own repository.
ACTION_REPOSITORY_ENV = "WASHACTIONS_ACTION_REPOSITORY"


def docs_url(anchor: str) -> str:
    """Link into this action's README, wherever the action was fetched from."""
    if anchor.startswith("http"):
        return anchor
    server = env("GITHUB_SERVER_URL", "https://github.com")
    repo = env(ACTION_REPOSITORY_ENV) or env("GITHUB_ACTION_REPOSITORY") or "wash-actions/wash-actions"
    return f"{server}/{repo}{anchor if anchor.startswith('#') else '#' + anchor}"


# -- text from outside -------------------------------------------------------------------------


def redact(text: str) -> str:
    """Hide what looks like a credential: ``user:password@host`` userinfo and Basic/Bearer values."""
    text = _USERINFO.sub(lambda m: f"{m.group(1)}:***@", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} ***", text)


def neutralize(text: str) -> str:
    """Text the runner prints as it is but never runs: each line that would start a workflow command
    (``::name::``, after leading whitespace) gets a zero-width space between its colons, and every
    legacy ``##[`` one between its hashes. Credentials are hidden as by :func:`redact`."""
    parts = _LINE_BREAK.split(redact(text))  # lines and, between them, the breaks they ended with
    return "".join(part if index % 2 else _neutralize_line(part) for index, part in enumerate(parts))


def _neutralize_line(line: str) -> str:
    line = _COMMAND_START.sub(lambda m: m.group(1) + ":" + BREAK, line)
    return line.replace(_LEGACY, "#" + BREAK + "#[")


def escape_data(value: str) -> str:
    """Command data: ``%``, CR and LF escaped (actions/runner ActionCommand.cs, toolkit command.ts)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A command property: data escaping plus ``:`` and ``,``, the separators of the property list."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def emit(text: str, *, command: str = "", stream: IO[str] | None = None) -> None:
    """The one way out to the log. Plain text is neutralised line by line; a workflow command
    (``command`` = ``name key=value,…``, built by this module) carries the text as escaped data."""
    out = stream or sys.stdout
    if command:
        # the data is one line; its legacy ``##[`` is broken too, though the runner reads such a line as
        # this command first
        line = f"::{command}::{escape_data(redact(text)).replace(_LEGACY, '#' + BREAK + '#[')}"
    else:
        line = neutralize(text)
    out.write(line + "\n")
    out.flush()


def command(name: str, message: str = "", **properties: str | None) -> None:
    """A stdout workflow command, ``::name key=value,…::message``, escaped as the runner expects.

    With no properties the form is ``::name::message``: act's parser does not accept the
    ``::name ::message`` variant, and would print such a line as plain text.
    """
    props = ",".join(f"{k}={escape_property(redact(v))}" for k, v in properties.items() if v)
    emit(message, command=f"{name} {props}" if props else name)


def info(message: str) -> None:
    """A plain line in the log."""
    emit(message)


def stderr(message: str) -> None:
    """A plain line on stderr."""
    emit(message, stream=sys.stderr)


def notice(message: str, title: str | None = None) -> None:
    """A notice annotation (capped at GitHub's annotation size)."""
    command("notice", cap(message, ANNOTATION_LIMIT), title=_title(title))


def warning(message: str, title: str | None = None) -> None:
    """A warning annotation (capped at GitHub's annotation size)."""
    command("warning", cap(message, ANNOTATION_LIMIT), title=_title(title))


def error(message: str, title: str | None = None) -> None:
    """An error annotation (capped; the rest is in the job summary)."""
    command("error", cap(message, ANNOTATION_LIMIT, "the job summary"), title=_title(title))


def _title(title: str | None) -> str | None:
    """An annotation title: its start, on one line."""
    if not title:
        return None
    flat = " ".join(title.split())
    return flat if len(flat) <= TITLE_LIMIT else flat[: TITLE_LIMIT - 1] + "…"


def group_start(title: str) -> None:
    """Open a collapsible group in the log."""
    command("group", title)


def group_end() -> None:
    """Close the group :func:`group_start` opened."""
    command("endgroup")


# -- runner files ------------------------------------------------------------------------------


def _append(path: str, text: str) -> None:
    """Encode first, then append in one write: an encoding error never leaves half a record."""
    record = text.encode("utf-8")
    with open(path, "ab") as handle:
        handle.write(record)


def _delimiter() -> str:
    """``ghadelimiter_`` and 128 random bits, as the toolkit's (a random UUID there; the uuid module costs a
    step 2 ms to import for the same ``os.urandom``)."""
    return f"ghadelimiter_{os.urandom(16).hex()}"


def file_command(name: str, value: str) -> str:
    """A ``name<<delimiter`` record for GITHUB_OUTPUT/GITHUB_ENV (toolkit file-command.ts): the
    delimiter is random and occurs in neither name nor value, so a value cannot add records."""
    if not name or any(part in name for part in ("=", "<<", "\r", "\n", "\0")):
        raise ValueError(f"not a valid output or variable name: {name!r}")
    delimiter = _delimiter()
    while delimiter in value:
        delimiter = _delimiter()
    return f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}"


def set_output(name: str, value: object) -> None:
    """Set a step output through GITHUB_OUTPUT (outside a runner: print it)."""
    path = env("GITHUB_OUTPUT")
    if path:
        _append(path, file_command(name, str(value)))
    else:  # outside a runner (local use): show what would be set
        info(f"{name}={value}")


def set_outputs(values: Mapping[str, object]) -> None:
    """Set several step outputs (:func:`set_output`)."""
    for name, value in values.items():
        set_output(name, value)


def export_env(name: str, value: str) -> None:
    """Set an environment variable for this process and, through GITHUB_ENV, for later steps."""
    os.environ[name] = value
    path = env("GITHUB_ENV")
    if path:
        _append(path, file_command(name, value))


def add_path(path: Path) -> None:
    """Put a directory first on PATH for this process and, through GITHUB_PATH, for later steps."""
    text = str(path)
    if any(c in text for c in ("\r", "\n", "\0")):
        raise ValueError(f"a PATH entry cannot span lines: {text!r}")
    os.environ["PATH"] = f"{text}{os.pathsep}{os.environ.get('PATH', '')}"
    if env("GITHUB_PATH"):
        _append(env("GITHUB_PATH"), text + os.linesep)


_OCI_REFERENCE = re.compile(r"[^\s=@]+@sha256:[0-9a-f]{64}")


def declare_oci_artifact(reference: str) -> None:
    """Declare a pushed image (``name@sha256:…``) for GitHub's artifact metadata, where the runner asks."""
    if not _OCI_REFERENCE.fullmatch(reference):
        raise ValueError(f"not a digest-pinned OCI reference: {reference!r}")
    _append(env("GITHUB_ARTIFACTS"), f"oci://{reference}{os.linesep}")


def summary(markdown: str) -> None:
    """Append to the job summary, credentials hidden, never past the size the runner accepts."""
    path = env("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    text = redact(markdown) + "\n"
    room = SUMMARY_LIMIT - used
    if len(text.encode("utf-8")) > room:
        if room < 1024:
            return
        note = "\n\n_(summary cut short: GitHub accepts at most 1 MiB per step; the full text is in the log)_\n"
        keep = text.encode("utf-8")[: room - len(note.encode()) - 16].decode("utf-8", errors="ignore")
        note = ("\n```" if keep.count("```") % 2 else "") + note
        text = keep + note
    _append(path, text)
