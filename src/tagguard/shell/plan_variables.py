"""`${NAME}` and `${NAME:-default}` in a plan's text, replaced from the environment.

Both plan readers (tagguard.shell.plan_block and tagguard.shell.plan_yaml) replace them here,
in a string scalar's text, after YAML has read it: a variable's value is text, never YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tagguard.core.plan import PlanError

# Compiled when a plan first names a variable (the re module keeps it); most do not.
_VARIABLE = r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}"


def substitute(text: str, path: str, env: Mapping[str, str], line: int) -> str:
    """`text` with every variable replaced; an unset one without a default, or a form this
    reader does not know, is an error at `line`."""

    def value(found: re.Match[str]) -> str:
        name, default = found.group(1), found.group(2)
        current = env.get(name)
        if current:
            return current
        if default is not None:
            return default
        raise PlanError(
            f"{path}:{line}: ${{{name}}} is not set (write ${{{name}:-default}} for a default)"
        )

    form = _unknown_form(text)
    if form is not None:
        raise PlanError(
            f"{path}:{line}: {form!r} is not a variable this plan reader knows: write "
            "${NAME} or ${NAME:-default}, a default holding neither '${' nor '}'"
        )
    return re.sub(_VARIABLE, value, text)


def _unknown_form(text: str) -> str | None:
    """The first `${...}` of `text` that is neither ${NAME} nor ${NAME:-default}: `${A-x}`,
    `${A:=x}`, an unclosed `${A`, or a nested `${A:-${B}}` (its inner `}` ends the outer
    one early). Left in the text, it would reach the reference parser as a tag holding
    `{` or `=`."""
    for found in re.finditer(_VARIABLE, text):
        if "${" in (found.group(2) or ""):
            return found.group()
    left = re.sub(_VARIABLE, "", text)
    start = left.find("${")
    if start == -1:
        return None
    end = left.find("}", start)
    return left[start : end + 1] if end != -1 else left[start:]
