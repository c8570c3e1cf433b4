"""Tag rules from the Git context, and tag sanitising."""

from __future__ import annotations

import re

from .errors import ActionError

MAX_TAG = 128
_INVALID = re.compile(r"[^A-Za-z0-9._-]")


def sanitize(tag: str) -> str:
    """Make any ref name a valid OCI tag: ``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``."""
    cleaned = _INVALID.sub("-", tag.strip())
    cleaned = cleaned.lstrip(".-")
    return cleaned[:MAX_TAG]


def resolve_tags(explicit: list[str], ref_name: str) -> list[str]:
    """The tags to publish: the explicit ones, else the sanitised ``github.ref_name``."""
    wanted = explicit or ([ref_name] if ref_name else [])
    tags: list[str] = []
    for raw in wanted:
        tag = sanitize(raw)
        if not tag:
            raise ActionError(
                what=f"Tag {raw!r} is empty once made a valid OCI tag",
                why="OCI tags may contain only letters, digits, '.', '_' and '-', and may not start with '.' or '-'.",
                fix="with:\n  tags: latest",
                docs="#publish",
            )
        if tag not in tags:
            tags.append(tag)
    if not tags:
        raise ActionError(
            what="No tag to publish",
            why="The 'tags' input is empty and this run has no ref name to derive one from.",
            fix="with:\n  tags: latest",
            docs="#publish",
        )
    return tags
