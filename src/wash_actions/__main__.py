"""Entry point: ``python -m wash_actions <command>``. Renders every ActionError exactly once."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from . import gha
from .errors import ActionError

USAGE = "usage: python -m wash_actions {setup-wash,build,publish}"


def _commands() -> dict[str, Callable[[gha.Inputs], dict[str, str]]]:
    def setup_wash(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import setup_wash as cmd

        return cmd.run(cmd.SetupInputs.from_env(inputs))

    def build(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import build as cmd

        return cmd.run(cmd.BuildInputs.from_env(inputs))

    def publish(inputs: gha.Inputs) -> dict[str, str]:
        from .commands import publish as cmd

        return cmd.run(cmd.PublishInputs.from_env(inputs))

    return {"setup-wash": setup_wash, "build": build, "publish": publish}


def report(error: ActionError) -> None:
    error.docs = gha.docs_url(error.docs)
    gha.error(error.one_line(), title=error.what)
    gha.summary(error.markdown())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    commands = _commands()
    if len(args) != 1 or args[0] not in commands:
        gha.stderr(USAGE)
        return 2
    try:
        outputs = commands[args[0]](gha.Inputs())
    except ActionError as error:
        report(error)
        return 1
    except KeyboardInterrupt:
        gha.error("Cancelled.", title="wash-actions cancelled")
        return 130
    except Exception as exc:  # a bug in this action, not a user mistake: say so, keep the trace
        report(
            ActionError(
                what=f"wash-actions {args[0]} failed unexpectedly: {type(exc).__name__}: {exc}",
                why="This is a bug in the action, not in your workflow.",
                fix="Please open an issue with this log; the traceback is in the job summary.",
                details=traceback.format_exc(),
            )
        )
        return 1
    gha.set_outputs(outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
