"""Entry point: ``python -m wash_actions <command>``. Renders every ActionError exactly once."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from .errors import ActionError
from .runner import gha


def usage(names: list[str]) -> str:
    """The usage line, from the command table itself (``setup-wash [resolve|install]`` for the phases) and the
    digest command's own usage."""
    from .commands.digest import USAGE as DIGEST_USAGE

    shown: dict[str, list[str]] = {}
    for name in names:
        command, _, phase = name.partition(" ")
        shown.setdefault(command, [])
        if phase:
            shown[command].append(phase)
    listed = ",".join(f"{c} [{'|'.join(p)}]" if p else c for c, p in shown.items())
    digest = DIGEST_USAGE.removeprefix("wash-actions ")
    return f"usage: python -m wash_actions {{{listed}}}\n       python -m wash_actions {digest}"


def _commands() -> dict[str, Callable[[gha.Inputs], dict[str, str]]]:
    def setup_wash_resolve(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import setup_wash as cmd

        return cmd.run_resolve(cmd.SetupInputs.from_env(inputs))

    def setup_wash_install(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import setup_wash as cmd

        return cmd.run_install(cmd.InstallInputs.from_env(inputs))

    def setup_wash(inputs: gha.Inputs) -> dict[str, str]:
        """Both phases in one process (local use; the action runs them as separate steps)."""
        from . import versions
        from .commands import setup_wash as cmd
        from .toolchain import resolution

        setup = cmd.SetupInputs.from_env(inputs)
        resolved = cmd.run_resolve(setup)
        if resolved["installed"] == "true":  # a tool-cache hit: resolve finished the install
            return resolved
        version = versions.parse_version(resolved["wash-version"])
        assert version is not None
        raw = resolved["resolved"]
        return cmd.run_install(
            cmd.InstallInputs(setup, version, resolution.Resolved.from_json(raw) if raw else None, restored=False)
        )

    def build(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import build as cmd

        return cmd.run(cmd.BuildInputs.from_env(inputs))

    def publish(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import publish as cmd

        return cmd.run(cmd.Publish.from_env(inputs))

    def check(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import check as cmd

        return cmd.run(cmd.CheckInputs.from_env(inputs))

    def discover(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import discover as cmd

        return cmd.run(cmd.DiscoverInputs.from_env(inputs))

    def update_manifest(inputs: gha.Inputs) -> dict[str, str]:
        """This project's maintenance: add newly verified wash releases to the manifest of known releases."""
        from .commands import update_manifest as cmd

        return cmd.run(cmd.UpdateInputs.from_env(inputs))

    def promote(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import promote as cmd

        return cmd.run(cmd.PromoteInputs.from_env(inputs))

    def verify(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import verify as cmd

        return cmd.run(cmd.VerifyInputs.from_env(inputs))

    def sigstore_cache(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import sigstore_cache as cmd

        return cmd.run(cmd.CacheInputs.from_env(inputs))

    return {
        "setup-wash": setup_wash,
        "setup-wash resolve": setup_wash_resolve,
        "setup-wash install": setup_wash_install,
        "build": build,
        "check": check,
        "publish": publish,
        "discover": discover,
        "promote": promote,
        "verify": verify,
        "update-manifest": update_manifest,
        "sigstore-cache": sigstore_cache,
    }


def report(error: ActionError) -> None:
    error.docs = gha.docs_url(error.docs)
    gha.error(error.one_line(), title=error.what)
    gha.summary(error.markdown())


class Terminated(KeyboardInterrupt):
    """SIGTERM, what the runner sends when a job is cancelled: unwinds like Ctrl-C, so every
    ``finally`` runs and the step ends with one clear message."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def digest(args: list[str]) -> int:
    """``digest COMPONENT …``: a command for people, not a step: it prints the digest, writes no outputs."""
    from .commands import digest as cmd

    try:
        print(cmd.run(args))
    except ActionError as error:
        error.docs = gha.docs_url(error.docs)
        gha.stderr(f"error: {error.one_line()}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["digest"]:
        return digest(args[1:])
    commands = _commands()
    name = " ".join(args)
    if name not in commands:
        gha.stderr(usage(list(commands)))
        return 2
    previous = None
    try:  # only the main thread may set a handler (a test may call main from another); no threading import
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:
        previous = None
    try:
        outputs = commands[name](gha.Inputs())
    except ActionError as error:
        report(error)
        return 1
    except KeyboardInterrupt as interrupt:
        terminated = isinstance(interrupt, Terminated)
        gha.error(
            f"Cancelled ({'SIGTERM' if terminated else 'SIGINT'}).",
            title="wash-actions cancelled",
        )
        return 143 if terminated else 130
    except Exception as exc:  # a bug in this action, not a user mistake: say so, keep the trace
        import traceback  # only here: every step's start-up spares the import

        report(
            ActionError(
                what=f"wash-actions {name} failed unexpectedly: {type(exc).__name__}: {exc}",
                why="This is a bug in the action, not in your workflow.",
                fix="Please open an issue with this log; the traceback is in the job summary.",
                details=traceback.format_exc(),
            )
        )
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    gha.set_outputs(outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
