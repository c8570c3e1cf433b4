"""JSON read and written the way JavaScript's ``JSON.parse`` and ``JSON.stringify`` do, so that what publish signs
and pushes is byte for byte what the official clients (@actions/attest, @sigstore/oci) write for the same input.

What differs from Python's ``json`` (ECMA-262 ``JSON.stringify``, ``SerializeJSONObject``, ``Number::toString``,
``OrdinaryOwnPropertyKeys``):

- every number is an IEEE 754 double, written in its shortest form: ``10.0`` is ``10``, ``1e21`` stays ``1e+21``,
  ``0.0000001`` is ``1e-7``, an integer beyond 2**53 is rounded as JavaScript rounds it;
- an object's keys that are array indices (``"0"``, ``"10"``: canonical integers below 2**32 - 1) come first, in
  ascending numeric order, then the other keys in the order they were first seen (a repeated key keeps its first
  place and its last value, as both parsers do);
- a lone UTF-16 surrogate is written as an escape (``\\ud800``), never as invalid UTF-8.

:func:`parse` is stricter than ``JSON.parse`` where the result could not be signed as Unicode text or would
change meaning: ``NaN``/``Infinity`` (not JSON), numbers beyond a double's range, lone surrogates and nesting
deeper than :data:`MAX_DEPTH` are refused with :class:`JsonError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

# objects and arrays inside one another: hostile input beyond it is refused, not recursed into; well under the 200
# levels sigstore-python's statement parser (pydantic, jiter) accepts for a whole statement around a predicate
MAX_DEPTH = 128
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")
_MAX_ARRAY_INDEX = 2**32 - 2
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_SAFE = 2**53


class JsonError(ValueError):
    """Text that is not JSON this module reads, or a value it cannot write."""


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON value")


def _number(text: str) -> int | float:
    try:
        value = float(text)
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        value = math.inf
    if not math.isfinite(value):
        raise JsonError(f"the number {text[:40]} is beyond the range of a double")
    if "." not in text and "e" not in text and "E" not in text and abs(int(text)) <= _MAX_SAFE:
        return int(text)
    return value


def parse(text: str) -> Any:
    """``JSON.parse`` of ``text`` (a ``str``: decoding bytes is the caller's), refusing what cannot be signed."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_number, parse_float=_number)
    except RecursionError:
        raise JsonError(f"it nests objects and arrays more than {MAX_DEPTH} deep") from None
    except json.JSONDecodeError as exc:
        raise JsonError(f"it is not JSON ({exc})") from None
    if _ESCAPED_SURROGATE.search(text) or depth_exceeds(value):
        check(value)
    return value


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests objects and arrays deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping | list | tuple):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list | tuple))
    return False


def _lone_surrogate(place: str, pointer: str, char: str) -> JsonError:
    shown = _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", pointer[:200]) or "/"
    return JsonError(
        f"the {place} {shown} holds a lone UTF-16 surrogate (\\u{ord(char):04x}), which is not Unicode text"
    )


def check(value: Any) -> None:
    """Raise :class:`JsonError` naming the first place (a JSON Pointer) where ``value`` holds a lone surrogate, or
    when it nests deeper than :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, pointer, depth = stack.pop()
        if isinstance(item, str):
            if match := _SURROGATE.search(item):
                raise _lone_surrogate("string at", pointer, match[0])
            continue
        if not isinstance(item, Mapping | list | tuple):
            continue
        if depth > MAX_DEPTH:
            raise JsonError(f"it nests objects and arrays more than {MAX_DEPTH} deep")
        if isinstance(item, Mapping):
            for key, child in reversed(list(item.items())):
                where = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
                if match := _SURROGATE.search(key):
                    raise _lone_surrogate("key", where, match[0])
                stack.append((child, where, depth + 1))
        else:
            stack.extend((child, f"{pointer}/{index}", depth + 1) for index, child in reversed(list(enumerate(item))))


def number(value: float) -> str:
    """ECMAScript ``Number::toString(value)`` (radix 10): what ``JSON.stringify`` writes for a finite number."""
    if value == 0:
        return "0"  # and -0
    if value < 0:
        return "-" + number(-value)
    _, digits, exponent = Decimal(repr(value)).as_tuple()  # repr: the shortest digits that read back as value
    text = "".join(map(str, digits)).rstrip("0")
    exponent = int(exponent) + len(digits) - len(text)
    k = len(text)
    n = exponent + k  # value = 0.<text> * 10**n
    if k <= n <= 21:
        return text + "0" * (n - k)
    if 0 < n <= 21:
        return f"{text[:n]}.{text[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + text
    e = n - 1
    mantissa = text if k == 1 else f"{text[0]}.{text[1:]}"
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)  # the same escapes as QuoteJSONString, lower-case \u00xx
    if _SURROGATE.search(quoted):
        quoted = _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", quoted)
    return quoted


def _key_order(keys: list[str]) -> list[str]:
    indices = [k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) <= _MAX_ARRAY_INDEX]
    if not indices:
        return keys
    chosen = set(indices)
    return sorted(indices, key=int) + [k for k in keys if k not in chosen]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` with no replacer and no indentation, for values :func:`parse` returns (dict,
    list, str, int, float, bool, None; tuples and other mappings as arrays and objects)."""
    if depth_exceeds(value):
        raise JsonError(f"it nests objects and arrays more than {MAX_DEPTH} deep")
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        try:
            double = float(value)
        except OverflowError:
            double = math.inf
        out.append(number(double) if math.isfinite(double) else "null")
    elif isinstance(value, Mapping):
        keys = list(value)
        if not all(isinstance(k, str) for k in keys):
            raise JsonError("an object key is not a string")
        out.append("{")
        for position, key in enumerate(_key_order(keys)):
            if position:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise JsonError(f"{type(value).__name__} is not a JSON value")
