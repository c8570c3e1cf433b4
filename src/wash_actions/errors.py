"""The one error type a user sees: what failed, why it likely failed, and the exact fix."""

from __future__ import annotations

import re

DETAILS_LIMIT = 64 * 1024  # the tail of a build's output kept in the job summary
WHY_LIMIT = 2000  # characters of 'why' in the one-line annotation
# The fix for a missing or wrong component: wire the build step's output (every action that reads a component).
COMPONENT_PATH_FIX = "with:\n  component-path: ${{ steps.build.outputs.component-path }}"
_YAML_LINE = re.compile(r"^\s*(?:- |[\w.-]+:(?:\s|$))")


def cap(text: str, limit: int, where: str = "the step's log") -> str:
    """At most ``limit`` characters, keeping the tail (where a build's error is) and saying so."""
    if len(text) <= limit:
        return text
    note = f"[… {len(text) - limit:,} earlier characters left out; the full text is in {where}]\n"
    return note + text[-max(limit - len(note), 0) :]


def split_fix(fix: str) -> tuple[str, str]:
    """A fix is prose, then optionally a YAML snippet: split at the first line that looks like YAML."""
    lines = fix.strip().splitlines()
    if len(lines) < 2:
        return fix.strip(), ""
    for index, line in enumerate(lines):
        if _YAML_LINE.match(line):
            return "\n".join(lines[:index]).strip(), "\n".join(lines[index:])
    return fix.strip(), ""


class ActionError(Exception):
    """A failure the user can act on. Rendered once, by ``__main__``.

    A plain class, as are the records of every module a step imports on its way to work: see "Start-up
    cost" in ARCHITECTURE.md.
    """

    def __init__(self, what: str, why: str, fix: str, docs: str = "#readme", *, details: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.why = why
        self.fix = fix
        self.docs = docs
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(what={self.what!r}, why={self.why!r}, fix={self.fix!r}, docs={self.docs!r})"

    def __str__(self) -> str:
        return f"{self.what}: {self.why} Fix: {self.fix}"

    def one_line(self) -> str:
        """The annotation text: what, why and fix, each on its own line."""
        what = cap(self.what, 300)
        why = cap(self.why, WHY_LIMIT, "the job summary")
        return f"{what}\nWhy: {why}\nFix: {self.fix}\nDocs: {self.docs}"

    def markdown(self) -> str:
        """The long form for the job summary."""
        parts = [
            f"### :x: {self.what}",
            "",
            f"**Why:** {cap(self.why, DETAILS_LIMIT)}",
            "",
            "**Fix:**",
            "",
        ]
        prose, code = split_fix(self.fix)
        if prose:
            parts.append(prose)
        if code:
            parts += (["", "```yaml"] if prose else ["```yaml"]) + [code, "```"]
        if self.details:
            parts += [
                "",
                "<details><summary>Details</summary>",
                "",
                "```text",
                cap(self.details.rstrip(), DETAILS_LIMIT).replace("```", "`\u200b``"),
                "```",
                "",
                "</details>",
            ]
        parts += ["", f"See {self.docs}", ""]
        return "\n".join(parts)
