"""Make Hydra command-line overrides accept Korean (any non-ASCII) values without quoting.

Hydra's override grammar only allows ASCII in unquoted values, so ``dataset.root=/data/한국형사물``
fails with a lexer error. Entry points pass ``sys.argv`` through :func:`quote_non_ascii` first, which
quotes such values (``dataset.root='/data/한국형사물'``), list items (``[상품,랜드마크]``) and sweep
choices (``-m ...=상품,랜드마크``). Values already quoted, and anything ASCII, pass unchanged.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

_OVERRIDE = re.compile(r"^([+~]{0,2}[A-Za-z_][\w.@/-]*=)(.*)$", re.S)


def _quote(value: str) -> str:
    if value.isascii() or value[:1] in ("'", '"'):
        return value
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return value  # both quote kinds inside: leave it to the user


def _quote_items(text: str) -> str:
    return ",".join(_quote(item.strip()) for item in text.split(","))


def quote_override(arg: str) -> str:
    """``key=value`` with non-ASCII characters in ``value`` -> the same override, quoted for Hydra."""
    match = _OVERRIDE.match(arg)
    if not match or match.group(2).isascii():
        return arg
    key, value = match.groups()
    if value.startswith("[") and value.endswith("]"):
        return f"{key}[{_quote_items(value[1:-1])}]"
    if value[:1] in ("'", '"', "{") or "(" in value:
        return arg  # quoted already, a dict, or a sweep function such as choice(...)
    return key + _quote_items(value) if "," in value else key + _quote(value)


def quote_non_ascii(args: Sequence[str]) -> list[str]:
    return [quote_override(a) for a in args]


def quote_argv() -> None:
    """Rewrite ``sys.argv`` in place (before ``@hydra.main`` parses it)."""
    sys.argv[1:] = quote_non_ascii(sys.argv[1:])
