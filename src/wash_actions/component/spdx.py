"""SPDX license expressions wash accepts: known, current license ids and exceptions, canonical spelling."""

from __future__ import annotations

import re

# Current (non-deprecated) SPDX ids that wash 2.10.3's SPDX parser accepts; every one is pushed through
# the real wash in tests/integration/test_metadata.py. Matching is case-insensitive, output canonical.
SPDX_LICENSES: frozenset[str] = frozenset(
    """0BSD AFL-3.0 AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0 APSL-2.0 Artistic-1.0 Artistic-2.0
    Beerware BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear
    BSD-4-Clause BSL-1.0 BUSL-1.1 CAL-1.0 CC-BY-3.0 CC-BY-4.0 CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-ND-4.0
    CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CECILL-2.1 curl ECL-2.0 EFL-2.0 Elastic-2.0 EPL-1.0
    EPL-2.0 EUPL-1.1 EUPL-1.2 GFDL-1.3-only GFDL-1.3-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only
    GPL-3.0-or-later HPND ICU IJG ISC JSON LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later
    LGPL-3.0-only LGPL-3.0-or-later Libpng libpng-2.0 LPPL-1.3c MirOS MIT MIT-0 MIT-CMU MIT-Modern-Variant
    MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception MS-PL MS-RL MulanPSL-2.0 NCSA OFL-1.1 OpenSSL OSL-3.0
    PHP-3.01 PolyForm-Noncommercial-1.0.0 PolyForm-Small-Business-1.0.0 PostgreSQL PSF-2.0 Python-2.0 Ruby
    SSPL-1.0 Unicode-3.0 Unicode-DFS-2016 Unlicense UPL-1.0 Vim W3C WTFPL X11 Zlib zlib-acknowledgement
    ZPL-2.1""".split()
)
SPDX_EXCEPTIONS: frozenset[str] = frozenset(
    """Autoconf-exception-2.0 Autoconf-exception-3.0 Bison-exception-2.2 Classpath-exception-2.0
    eCos-exception-2.0 FLTK-exception Font-exception-2.0 GCC-exception-2.0 GCC-exception-3.1
    GPL-3.0-linking-exception GPL-3.0-linking-source-exception LGPL-3.0-linking-exception Libtool-exception
    Linux-syscall-note LLVM-exception mif-exception OCaml-LGPL-linking-exception Qt-GPL-exception-1.0
    Qt-LGPL-exception-1.1 Swift-exception u-boot-exception-2.0 Universal-FOSS-exception-1.0
    WxWindows-exception-3.1""".split()
)
_LICENSE_BY_KEY = {i.lower(): i for i in SPDX_LICENSES}
_EXCEPTION_BY_KEY = {i.lower(): i for i in SPDX_EXCEPTIONS}
_IDSTRING = r"[A-Za-z0-9.\-]+"
_LICENSE_REF = re.compile(rf"(?:DocumentRef-{_IDSTRING}:)?LicenseRef-{_IDSTRING}")
_OPERATORS = {"AND", "OR", "WITH", "and", "or", "with"}


def spdx_expression(raw: str) -> str | None:
    """``raw`` as a canonical SPDX expression wash accepts, or None (unknown, deprecated or malformed).

    A state machine over the tokens: ``operand`` wants a license id or ``(``; ``license`` may be followed
    by WITH, AND/OR, ``)`` or the end; ``closed`` (after ``)`` or an exception) by all of those but WITH.
    Operators are all upper or all lower case, as wash accepts; the result is upper case.
    """
    out: list[str] = []
    state, depth = "operand", 0
    for word in re.findall(r"[()]|[^\s()]+", raw):
        if state == "operand" and word == "(":
            depth += 1
            out.append(word)
        elif state == "operand" and (license_id := _license_id(word)):
            out.append(license_id)
            state = "license"
        elif state == "exception" and (exception := _EXCEPTION_BY_KEY.get(word.lower())):
            out.append(exception)
            state = "closed"
        elif state in {"license", "closed"} and word == ")" and depth > 0:
            depth -= 1
            out.append(word)
            state = "closed"
        elif state in {"license", "closed"} and word in _OPERATORS and word.upper() != "WITH":
            out.append(word.upper())
            state = "operand"
        elif state == "license" and word in _OPERATORS:
            out.append("WITH")
            state = "exception"
        else:
            return None
    if state not in {"license", "closed"} or depth:
        return None
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _license_id(token: str) -> str | None:
    if _LICENSE_REF.fullmatch(token):
        return token
    base, plus = (token[:-1], "+") if token.endswith("+") else (token, "")
    canonical = _LICENSE_BY_KEY.get(base.lower())
    if canonical is None or (plus and canonical.endswith(("-only", "-or-later"))):
        return None
    return canonical + plus
