"""Text from outside rendered into Markdown (the job summary): the one escaping, used by gha for every summary
and by errors for the long form of an error."""

from __future__ import annotations

import re

_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_MARKDOWN = {
    **{char: "\\" + char for char in "\\`*_{}[]()#+-.!|~:@/=\"'$%^?,;"},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}


def text(value: str) -> str:
    """A value from outside (a name, a path, an image, a message) as literal text in the job summary: the one
    escaping for everything rendered there. HTML's ``&``, ``<`` and ``>`` become entities (no tag, comment or
    image can open), every ASCII punctuation character Markdown gives a meaning (emphasis, links, code spans,
    headings, tables, lists) gets the backslash GitHub's CommonMark parser reads as "literal", and line
    breaks become spaces (one table cell, one line). Use it outside code spans: in a code span a backslash
    shows; :func:`code` is the monospace form."""
    flat = _LINE_BREAK.sub(" ", value)
    return "".join(_MARKDOWN.get(char, char) for char in flat)


def code(value: str) -> str:
    """A value from outside in monospace: ``<code>`` around :func:`text` (Markdown inside ``<code>`` is still
    parsed, so it is escaped the same way)."""
    return f"<code>{text(value)}</code>"
