"""GitHub's runner reading workflow commands from a step's output, ported to Python.

Read from actions/runner at commit 258d6c857db3519913f7deb6004b60172f8043ae:

* src/Runner.Common/ActionCommand.cs: `TryParseV2` (``::name k=v,k=v::data``, where the line
  less leading white space starts with ``::``), `TryParse` (``##[name k=v;k=v]data``, at the
  first ``##[`` anywhere in the line) and their unescaping.
* src/Runner.Worker/ActionCommandManager.cs: `TryProcessCommand` (V2 first, then the old
  form; `stop-commands` and its resume token; `notice` only with enhanced annotations) and
  `ValidateStopToken`; the commands registered are those ExtensionManager.cs loads.
* src/Runner.Sdk/ProcessInvoker.cs: output is read with `StreamReader.ReadLine`, so a line
  ends at LF, CR or CRLF.

Command names and property keys compare case-insensitively (`StringComparer.OrdinalIgnoreCase`).
.NET's `IndexOf(string)`/`StartsWith(string)` compare with the culture's rules, which skip
ignorable code points; `commands_in` therefore also parses each line with those removed, which
finds every command the culture-sensitive search could find (and possibly more).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# ExtensionManager.LoadExtensions, IActionCommandExtension (internal-set-repo-path is
# registered only while a plugin runs), plus the manager's own stop-commands.
STOP_COMMAND = "stop-commands"
REGISTERED = frozenset(
    {
        STOP_COMMAND,
        "set-env",
        "set-output",
        "save-state",
        "add-path",
        "add-mask",
        "add-matcher",
        "remove-matcher",
        "warning",
        "error",
        "notice",
        "debug",
        "group",
        "endgroup",
        "echo",
    }
)

_ESCAPES = ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D"), ("%", "%25"))
_DATA_ESCAPES = (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))
_PROPERTY_ESCAPES = (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25"))


def fold(name: str) -> str:
    """OrdinalIgnoreCase: a character-by-character upper-case mapping (one to one)."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in name)


class Names:
    """A HashSet<string> with StringComparer.OrdinalIgnoreCase."""

    def __init__(self, names: frozenset[str] | set[str] = REGISTERED) -> None:
        self._names = {fold(n) for n in names}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._names

    def add(self, name: str) -> None:
        self._names.add(fold(name))

    def remove(self, name: str) -> None:
        self._names.discard(fold(name))


@dataclass
class ActionCommand:
    command: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""

    def property(self, key: str) -> str | None:
        wanted = fold(key)
        return next((v for k, v in self.properties.items() if fold(k) == wanted), None)

    def set_property(self, key: str, value: str) -> None:
        for existing in list(self.properties):
            if fold(existing) == fold(key):
                del self.properties[existing]
        self.properties[key] = value


def _unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    for token, replacement in mappings:
        text = text.replace(replacement, token)
    return text


def is_white_space(character: str) -> bool:
    """Char.IsWhiteSpace: U+0009-U+000D, U+0085, and the separator categories."""
    return character in "\t\n\v\f\r\x85" or unicodedata.category(character) in ("Zs", "Zl", "Zp")


def trim_start(text: str) -> str:
    index = 0
    while index < len(text) and is_white_space(text[index]):
        index += 1
    return text[index:]


def trim(text: str) -> str:
    """String.Trim(): white space (Char.IsWhiteSpace) off both ends."""
    text = trim_start(text)
    end = len(text)
    while end > 0 and is_white_space(text[end - 1]):
        end -= 1
    return text[:end]


def split(text: str, separator: str, count: int | None = None) -> list[str]:
    """String.Split(separator, count, RemoveEmptyEntries) as .NET's SplitWithPostProcessing
    does it: empty pieces are dropped and do not count; once count - 1 pieces are taken, the
    empty pieces right after are skipped and the rest of the string is the last piece."""
    positions = [i for i, c in enumerate(text) if c == separator]
    out: list[str] = []
    current = 0
    index = 0
    while index < len(positions):
        if positions[index] - current > 0:
            out.append(text[current : positions[index]])
        current = positions[index] + 1
        if count is not None and len(out) == count - 1:
            index += 1
            while index < len(positions) and positions[index] == current:
                current += 1
                index += 1
            break
        index += 1
    if current < len(text):
        out.append(text[current:])
    return out


def _name_and_properties(info: str, registered: Names) -> tuple[str, str | None] | None:
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name not in registered:
        return None
    return name, (info[space + 1 :] if space > 0 else None)


def try_parse_v2(message: str, registered: Names) -> ActionCommand | None:
    """ActionCommand.TryParseV2: `::name k=v,k=v::data`."""
    if not message:
        return None
    message = trim_start(message)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    found = _name_and_properties(message[2:end], registered)
    if found is None:
        return None
    command = ActionCommand(found[0])
    if found[1] is not None:
        for pair_text in split(trim(found[1]), ","):
            pair = split(pair_text, "=", count=2)
            if len(pair) == 2:
                command.set_property(pair[0], _unescape(pair[1], _PROPERTY_ESCAPES))
    command.data = _unescape(message[end + 2 :], _DATA_ESCAPES)
    return command


def try_parse(message: str, registered: Names) -> ActionCommand | None:
    """ActionCommand.TryParse: `##[name k=v;k=v]data`, at the first `##[` of the line."""
    if not message:
        return None
    prefix = message.find("##[")
    if prefix < 0:
        return None
    bracket = message.find("]", prefix)
    if bracket < 0:
        return None
    found = _name_and_properties(message[prefix + 3 : bracket], registered)
    if found is None:
        return None
    command = ActionCommand(found[0])
    if found[1] is not None:
        for pair_text in split(found[1], ";"):
            pair = split(pair_text, "=", count=2)
            if len(pair) == 2:
                command.set_property(pair[0], _unescape(pair[1], _ESCAPES))
    command.data = _unescape(message[bracket + 1 :], _ESCAPES)
    return command


def read_lines(output: str) -> list[str]:
    """StreamReader.ReadLine until the end of the stream: a line ends at CRLF, LF or CR, and
    a break at the very end starts no further line."""
    lines = re.split(r"\r\n|\r|\n", output)
    return lines[:-1] if lines[-1] == "" else lines


class InvalidStopTokenError(Exception):
    """ValidateStopToken's refusal (Constants.Runner.UnsupportedStopCommandTokenDisabled)."""


class CommandManager:
    """ActionCommandManager: one step's state, fed one output line at a time."""

    def __init__(
        self, *, enhanced_annotations: bool = True, allow_unsecure_stop_tokens: bool = False
    ) -> None:
        self.registered = Names(REGISTERED)
        self.enhanced_annotations = enhanced_annotations
        self.allow_unsecure_stop_tokens = allow_unsecure_stop_tokens
        self.stopped = False
        self.stop_token: str | None = None
        self.echo = False

    def process(self, line: str) -> ActionCommand | None:
        """TryProcessCommand: the command the line was taken as (including a stop and its
        resume), or None when the runner shows the line as output."""
        if not line:
            return None
        command = try_parse_v2(line, self.registered) or try_parse(line, self.registered)
        if command is None:
            return None
        if not self.enhanced_annotations and command.command == "notice":
            return None
        if self.stopped:
            if self.stop_token and fold(command.command) == fold(self.stop_token):
                self.registered.remove(self.stop_token)
                self.stopped, self.stop_token = False, None
                return command
            return None
        if fold(command.command) == fold(STOP_COMMAND):
            self._validate_stop_token(command.data)
            self.stop_token = command.data
            self.stopped = True
            self.registered.add(command.data)
            return command
        if fold(command.command) == "ECHO":
            value = command.data.strip().upper()
            if value in ("ON", "OFF"):
                self.echo = value == "ON"
        return command

    def _validate_stop_token(self, token: str) -> None:
        invalid = token in self.registered or not token or fold(token) == fold("pause-logging")
        if invalid and not self.allow_unsecure_stop_tokens:
            raise InvalidStopTokenError(token)


def commands_in(output: str, manager: CommandManager | None = None) -> list[ActionCommand]:
    """Every command the runner takes from `output`, in order."""
    manager = manager or CommandManager()
    found = []
    for line in read_lines(output):
        command = manager.process(line)
        if command is not None:
            found.append(command)
    return found


# Code points the culture-sensitive (ICU) comparison may skip: controls other than the line
# breaks, format characters and the default-ignorable code points.
_SKIPPABLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def parses_as_command(line: str, registered: Names | None = None) -> ActionCommand | None:
    """Whether one line holds a command in either form, with no state (a stop in force or not)
    and with ignorable code points considered both kept and skipped."""
    names = registered or Names(REGISTERED)
    for candidate in (line, _SKIPPABLE.sub("", line)):
        command = try_parse_v2(candidate, names) or try_parse(candidate, names)
        if command is not None:
            return command
    return None
