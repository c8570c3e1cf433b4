"""URLs wash accepts for the homepage and source sections, normalised the way wash stores them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORGES = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
OWNER_REPO = r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+"


def normalize_url(raw: str) -> str | None:
    """An absolute http(s) URL without credentials, serialised as wash stores it; None if it is not one."""
    text = raw.strip()
    if not text.isascii() or not _URL_CHARS.fullmatch(text):
        return None
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in _DEFAULT_PORTS or "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{scheme}://{netloc}{parts.path or '/'}{query}{fragment}"


def repository_url(raw: str) -> str | None:
    """A manifest's repository (``git+https://host/o/r.git``, ``git@host:o/r``, ``github:o/r``, ``o/r``) as https."""
    text = raw.strip()
    if match := re.fullmatch(rf"(?:(github|gitlab|bitbucket):)?({OWNER_REPO})", text):
        text = f"https://{_FORGES[match.group(1) or 'github']}/{match.group(2)}"
    elif match := re.fullmatch(r"[\w.\-]+@([\w.\-]+):(?!//)(.+)", text):
        text = f"https://{match.group(1)}/{match.group(2)}"
    elif match := re.fullmatch(r"(?:git\+)?(https?|git|ssh|git\+ssh)://(?:[^@/]+@)?([^/@]+)(/.*)", text):
        scheme, host, rest = match.groups()
        if not scheme.startswith("http"):  # a git or ssh port says nothing about the web server's
            scheme, host = "https", host.split(":")[0]
        text = f"{scheme}://{host}{rest}"
    text = text.rstrip("/").removesuffix(".git").rstrip("/")
    return normalize_url(text)
