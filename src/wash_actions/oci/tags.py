"""Tags from the Git context, in the spirit of docker/metadata-action, and tag sanitising.

With no explicit ``tags``:
- a tag push of a release (``v1.2.3``) gives ``1.2.3``, the tag as written (``v1.2.3``), ``1.2``, ``1`` and
  ``latest`` (``0.y.z`` gives no bare ``0``); a prerelease (``v1.3.0-rc.1``) gives ``1.3.0-rc.1`` and
  ``v1.3.0-rc.1``; any other tag, itself. The written name is what wasmCloud/actions publishes (its
  ``image_tags`` default is ``github.ref_name``) and what docker/metadata-action's default rule
  ``type=ref,event=tag`` keeps, so a workflow moving over still finds its ``v1.2.3``;
- a branch push (also ``workflow_dispatch`` and ``schedule`` on a branch) gives the branch name and
  ``sha-<short>``;
- a pull request gives ``pr-<number>`` and ``sha-<short>`` of the PR's head commit (not the merge commit).

Explicit tags may use templates: ``{{version}}``, ``{{major}}``, ``{{minor}}``, ``{{patch}}`` (from a
semver tag push), ``{{sha}}`` (short commit), ``{{branch}}``, ``{{tag}}``, ``{{pr}}``. A tag whose
template has no value in this run yields nothing, with a warning; no tag at all is an error.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import ActionError

MAX_TAG = 128
SHORT_SHA = 7
_INVALID = re.compile(r"[^A-Za-z0-9._-]")
_VALID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")  # OCI distribution spec, tag grammar
_RELEASE = re.compile(r"^v?\d+\.\d+\.\d+$")  # X.Y.Z (or vX.Y.Z): a release, never moved once published
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")
_TEMPLATE = re.compile(r"\{\{\s*([a-z]+)\s*\}\}")
TEMPLATES = ("version", "major", "minor", "patch", "sha", "branch", "tag", "pr")


class GitContext(NamedTuple):
    event_name: str = ""
    ref: str = ""  # refs/heads/main, refs/tags/v1.2.3, refs/pull/7/merge
    sha: str = ""
    pr_number: int | None = None
    pr_head_sha: str = ""

    @property
    def tag(self) -> str:
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else ""

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    @property
    def commit(self) -> str:
        """The commit the component was built from: a PR's head, else the run's SHA."""
        return self.pr_head_sha if self.pr_number is not None and self.pr_head_sha else self.sha


class Semver(NamedTuple):
    major: str
    minor: str
    patch: str
    pre: str
    build: str

    @property
    def version(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        core += f"-{self.pre}" if self.pre else ""
        return core + (f"+{self.build}" if self.build else "")


def parse_semver(tag: str) -> Semver | None:
    """A tag as semver (``v1.2.3``, ``1.2.3-rc.1``), or None."""
    match = _SEMVER.match(tag)
    if not match:
        return None
    major, minor, patch, pre, build = match.groups()
    return Semver(major, minor, patch, pre or "", build or "")


def sanitize(tag: str) -> str:
    """Make any ref name a valid OCI tag: ``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``."""
    cleaned = _INVALID.sub("-", tag.strip())
    cleaned = cleaned.lstrip(".-")
    return cleaned[:MAX_TAG]


def invalid_reason(tag: str) -> str:
    """Why ``tag`` is not a valid OCI tag, or "" when it is one."""
    if _VALID.match(tag):
        return ""
    if not tag:
        return "it is empty"
    if len(tag) > MAX_TAG:
        return f"it is {len(tag)} characters long; a tag has at most {MAX_TAG}"
    odd = next((c for c in tag if not re.match(r"[A-Za-z0-9._-]", c)), "")
    if odd:
        name = f"U+{ord(odd):04X}"
        return f"it contains {odd!r} ({name}); a tag has only ASCII letters, digits, '.', '_' and '-'"
    return f"it starts with {tag[0]!r}; a tag starts with a letter, a digit or '_'"


def is_release(tag: str) -> bool:
    """A release tag (``X.Y.Z``) that ``immutable-tags: releases`` never moves once published."""
    return bool(_RELEASE.match(tag))


def template_values(ctx: GitContext) -> dict[str, str]:
    """The values of the tag templates ({{version}}, {{major}}, {{sha}}, {{branch}}, …) for this Git context."""
    values = {"sha": ctx.commit[:SHORT_SHA], "branch": ctx.branch, "tag": ctx.tag}
    values["pr"] = str(ctx.pr_number) if ctx.pr_number is not None else ""
    semver = parse_semver(ctx.tag) if ctx.tag else None
    if semver:
        values.update(version=semver.version, major=semver.major, minor=semver.minor, patch=semver.patch)
    else:
        values.update(version="", major="", minor="", patch="")
    return values


def default_tags(ctx: GitContext) -> list[str]:
    """The tags a run gets when the workflow names none."""
    if ctx.pr_number is not None:
        return [f"pr-{ctx.pr_number}"] + ([f"sha-{ctx.commit[:SHORT_SHA]}"] if ctx.commit else [])
    if ctx.tag:
        semver = parse_semver(ctx.tag)
        if semver is None:
            return [ctx.tag]
        written = [ctx.tag] if ctx.tag != semver.version else []
        if semver.pre:
            return [semver.version, *written]
        tags = [semver.version, *written, f"{semver.major}.{semver.minor}"]
        if semver.major != "0":
            tags.append(semver.major)
        return [*tags, "latest"]
    if ctx.branch:
        return [ctx.branch] + ([f"sha-{ctx.sha[:SHORT_SHA]}"] if ctx.sha else [])
    return [f"sha-{ctx.sha[:SHORT_SHA]}"] if ctx.sha else []


class TagPlan(NamedTuple):
    tags: tuple[str, ...]
    warnings: tuple[str, ...]


def expand(raw: str, values: dict[str, str]) -> tuple[str, str | None]:
    """Fill a tag's templates; returns (tag, None) or ("", why it yields nothing)."""
    unknown = [name for name in _TEMPLATE.findall(raw) if name not in TEMPLATES]
    if unknown:
        raise ActionError(
            what=f"Tag {raw!r} uses an unknown template {{{{{unknown[0]}}}}}",
            why="Tags may use " + ", ".join(f"{{{{{t}}}}}" for t in TEMPLATES) + ".",
            fix="with:\n  tags: |\n    {{version}}\n    sha-{{sha}}",
            docs="#tags",
        )
    missing = [name for name in _TEMPLATE.findall(raw) if not values.get(name)]
    if missing:
        return "", f"tag {raw!r} yields nothing: {{{{{missing[0]}}}}} has no value in this run"
    return _TEMPLATE.sub(lambda m: values[m.group(1)], raw), None


def refuse_literal(raw: str) -> None:
    """An explicit tag written without templates is published exactly as written, or refused."""
    why = invalid_reason(raw)
    if why:
        suggestion = sanitize(raw) or "latest"
        raise ActionError(
            what=f"Tag {raw!r} is not a valid OCI tag",
            why=f"{why[0].upper()}{why[1:]}. Explicit tags are published as written, never rewritten: a silent "
            "rewrite could move another tag (e.g. '-latest' would become 'latest').",
            fix=f"Write the tag you mean:\nwith:\n  tags: {suggestion}",
            docs="#tags",
        )


IMMUTABLE_MODES = ("releases", "all", "none")


def immutable_mode(raw: str) -> str:
    """The immutable-tags input checked: releases (the default when empty), all or none."""
    mode = (raw or "releases").lower()
    if mode not in IMMUTABLE_MODES:
        raise ActionError(
            what=f"Input 'immutable-tags' must be releases, all or none, not {mode!r}",
            why="It says which existing tags publish never moves: releases (X.Y.Z / vX.Y.Z, the "
            "default), all, or none.",
            fix="with:\n  immutable-tags: releases",
            docs="#immutable-tags",
        )
    return mode


def immutable(tag: str, mode: str) -> bool:
    """Whether 'immutable-tags' keeps this tag where it is once it exists."""
    return mode == "all" or (mode == "releases" and is_release(tag))


def resolve_tags(explicit: list[str], ctx: GitContext) -> TagPlan:
    """The tags to publish: explicit ones (templates filled), else the rules above; unique.

    A literal explicit tag must already be valid. A tag made from a template is sanitised with a warning
    showing before → after (a Git ref under the default rules, as documented above); two tags that
    sanitise to the same one are refused.
    """
    warnings: list[str] = []
    wanted: list[tuple[str, str]] = []  # (as written, value before sanitising)
    if explicit:
        values = template_values(ctx)
        for raw in (item.strip() for item in explicit):
            if not _TEMPLATE.search(raw):
                refuse_literal(raw)
            tag, why = expand(raw, values)
            if why:
                warnings.append(why)
            else:
                wanted.append((raw, tag))
    else:
        wanted = [(tag, tag) for tag in default_tags(ctx)]
        if not wanted:
            warnings.append(f"no tag rule applies to this run (event {ctx.event_name or '?'}, ref {ctx.ref or '?'})")
    tags: list[str] = []
    origin: dict[str, str] = {}
    for written, raw in wanted:
        tag = sanitize(raw)
        if not tag:
            raise ActionError(
                what=f"Tag {raw!r} is empty once made a valid OCI tag",
                why="OCI tags may contain only letters, digits, '.', '_' and '-', and may not start with '.' or '-'.",
                fix="with:\n  tags: latest",
                docs="#tags",
            )
        if tag != raw and explicit:  # the default rules' sanitising is documented above
            warnings.append(f"tag {written!r} gave {raw!r}, published as {tag!r} ({invalid_reason(raw)})")
        if tag in origin and origin[tag] != raw:
            raise ActionError(
                what=f"Tags {origin[tag]!r} and {raw!r} both become {tag!r}",
                why="Made valid OCI tags (only ASCII letters, digits, '.', '_', '-', at most "
                f"{MAX_TAG} characters), they collapse into one; the second would silently move the first.",
                fix="Make the tags differ within their first 128 valid characters:\nwith:\n  tags: |\n"
                "    {{branch}}\n    sha-{{sha}}",
                docs="#tags",
            )
        origin[tag] = raw
        if tag not in tags:
            tags.append(tag)
    if not tags:
        raise ActionError(
            what="No tag to publish",
            why="; ".join(warnings) or "The tag list is empty.",
            fix="Name the tags explicitly:\nwith:\n  tags: |\n    latest\n    sha-{{sha}}",
            docs="#tags",
        )
    return TagPlan(tuple(tags), tuple(warnings))
