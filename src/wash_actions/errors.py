"""The one error type a user sees: what failed, why it likely failed, and the exact fix."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ActionError(Exception):
    """A failure the user can act on. Rendered once, by ``__main__``."""

    what: str
    why: str
    fix: str
    docs: str = "#readme"
    details: str = field(default="", kw_only=True)

    def __str__(self) -> str:
        return f"{self.what}: {self.why} Fix: {self.fix}"

    def one_line(self) -> str:
        """The annotation text: what, why and fix, each on its own line."""
        return f"{self.what}\nWhy: {self.why}\nFix: {self.fix}\nDocs: {self.docs}"

    def markdown(self) -> str:
        """The long form for the job summary."""
        parts = [
            f"### :x: {self.what}",
            "",
            f"**Why:** {self.why}",
            "",
            "**Fix:**",
            "",
        ]
        fix = self.fix.strip()
        if "\n" in fix:
            parts += ["```yaml", fix, "```"]
        else:
            parts.append(fix)
        if self.details:
            parts += [
                "",
                "<details><summary>Details</summary>",
                "",
                "```text",
                self.details.rstrip(),
                "```",
                "",
                "</details>",
            ]
        parts += ["", f"See {self.docs}", ""]
        return "\n".join(parts)
