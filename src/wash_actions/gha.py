"""The only module that talks to the runner: inputs, outputs, env, PATH, summary, masks, annotations.

Inputs arrive as ``WASHACTIONS_INPUT_<NAME>`` variables that each action.yml maps explicitly in its
step's ``env:``. GitHub does not set ``INPUT_*`` for composite actions, and wash reads every
``WASH_*`` variable as a config override, so neither prefix is used.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import github_action_utils as gau
from github_action_utils._serialization import escape_data, escape_property

from .errors import ActionError

INPUT_PREFIX = "WASHACTIONS_INPUT_"
TRUE = frozenset({"true", "yes", "1", "on"})
FALSE = frozenset({"false", "no", "0", "off", ""})


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


def environ() -> dict[str, str]:
    return dict(os.environ)


def workspace() -> Path:
    return Path(env("GITHUB_WORKSPACE") or os.getcwd())


def temp_dir() -> Path:
    base = env("RUNNER_TEMP")
    return Path(base) if base else Path(tempfile.gettempdir())


def docker_config_dir() -> Path:
    """Where docker login / docker/login-action keep credentials: ``DOCKER_CONFIG``, else ``~/.docker``."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def docs_url(anchor: str) -> str:
    """Link into this action's README, wherever the action was fetched from."""
    if anchor.startswith("http"):
        return anchor
    server = env("GITHUB_SERVER_URL", "https://github.com")
    repo = env("GITHUB_ACTION_REPOSITORY") or "wash-actions/wash-actions"
    return f"{server}/{repo}{anchor if anchor.startswith('#') else '#' + anchor}"


def set_output(name: str, value: object) -> None:
    if env("GITHUB_OUTPUT"):
        gau.set_output(name, value)
    else:  # outside a runner (local use): show what would be set
        print(f"{name}={value}")


def set_outputs(values: Mapping[str, object]) -> None:
    for name, value in values.items():
        set_output(name, value)


def export_env(name: str, value: str) -> None:
    os.environ[name] = value
    if env("GITHUB_ENV"):
        gau.set_env(name, value)


def add_path(path: Path) -> None:
    os.environ["PATH"] = f"{path}{os.pathsep}{os.environ.get('PATH', '')}"
    if env("GITHUB_PATH"):
        gau.add_system_path(str(path))


def command(name: str, message: str = "", **properties: str | None) -> None:
    """A stdout workflow command, ``::name key=value,…::message``, escaped as the runner expects.

    With no properties the form is ``::name::message``: act's parser does not accept the
    ``::name ::message`` variant, and would print such a line (a mask, say) as plain text.
    """
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
    head = f"{name} {props}" if props else name
    print(f"::{head}::{escape_data(message)}", flush=True)


def declare_oci_artifact(reference: str) -> None:
    """Declare a pushed image (``name@sha256:…``) for GitHub's artifact metadata, where the runner asks."""
    from github_action_utils._artifacts import declare_oci_artifact as declare

    declare(reference)


def mask(value: str) -> None:
    for line in value.splitlines():
        if line.strip():
            command("add-mask", line)


def summary(markdown: str) -> None:
    if env("GITHUB_STEP_SUMMARY"):
        gau.append_job_summary(markdown)


def notice(message: str, title: str | None = None) -> None:
    command("notice", message, title=title)


def warning(message: str, title: str | None = None) -> None:
    command("warning", message, title=title)


def error(message: str, title: str | None = None) -> None:
    command("error", message, title=title)


def info(message: str) -> None:
    print(message, flush=True)


def debug(message: str) -> None:
    command("debug", message)


def group_start(title: str) -> None:
    command("group", title)


def group_end() -> None:
    command("endgroup")


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
