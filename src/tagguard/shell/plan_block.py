"""The plain YAML most plans are written in, read without PyYAML.

A plan is usually nothing but block mappings and sequences of one-word values or strings
quoted on one line, with now and then a one-line flow collection:

    operations:                     # a comment
      - push: harbor.example.com/proj/app:${GIT_TAG}
        digest: "sha256:..."
      - retag: {from: harbor.example.com/proj/app:1.2, to: [REF, REF]}
        artifact: true

This reader takes exactly that shape and declines (`block_tree` returns None) at anything
else: a quoted string holding an escape or not closed on its line, a quoted key, anchors and
aliases, tags, merge keys, flow collections over several lines or nested deeper, multi-line
or empty values, a key written twice, tabs, a carriage return not ending a line, any
character outside printable ASCII, and every unquoted word YAML 1.1 could read as anything
but text, `true` or `false` (`yes`, `1.5`, `1:30`, `~`, `.inf`, ...). What it takes, it
reads to the very nodes `tagguard.shell.plan_yaml.plan_tree` gives (the tests hold the two
together on generated and mutated plans); what it declines, that reads.

Why: importing PyYAML takes some 12 ms, and a plan is read before its first question to
Harbor can be asked: on the default benchmark, a twentieth of the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping

from tagguard.core.plan import Node
from tagguard.shell.plan_variables import substitute

# Character sets, checked with `str.strip` rather than regular expressions: compiling a
# pattern costs more than this reader takes to read a plan of hundreds of steps, and a
# plan is read before the first request. A set's characters are the text `strip` removes.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KEY = _LETTERS + "0123456789_-"
_KEY_MAX = 100  # PyYAML looks no further than 1024 characters for a key's colon
# A plain scalar in block context may hold `:` not followed by a space, and `{` `}` after
# its first character; none of these characters is a comment, an indicator or a quote.
_WORD_FIRST = _LETTERS + "0123456789_./$"
_WORD = _WORD_FIRST + ":@{}-"
# In a flow collection `,[]{}` end a plain scalar: its words hold none, nor `$` (`${` is
# not YAML there: plan_yaml says how to quote it).
_FLOW_FIRST = _LETTERS + "0123456789_./"
_FLOW = _FLOW_FIRST + ":@-"
# The only words starting with a letter that YAML 1.1's resolvers (as PyYAML has them) do
# not read as text are booleans and nulls; these cover every spelling, and some more
# (`y`, `n`, `yES`) to be safe.
_NOT_ALWAYS_TEXT = frozenset(("yes", "no", "true", "false", "on", "off", "null", "y", "n"))
_QUOTES = ('"', "'")  # a string quoted on one line without an escape is read here
# `artifact: true`, `recursive: true`: the spellings of plans (YAML 1.1 has ten more).
_BOOLEANS = frozenset(("true", "false"))
_DEPTH_MAX = 32  # plan_yaml refuses past 64: deeper plans go there

_Line = tuple[int, int, str]  # line number, indent, the content from the indent on


class _Declined(Exception):
    """The text is outside this reader's YAML: PyYAML reads it."""


def block_tree(text: str, path: str, env: Mapping[str, str]) -> Node | None:
    """The plan's nodes, as `plan_tree` gives them, or None when the text is beyond the
    plain YAML this reader takes (then `plan_tree` reads it)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # a Windows checkout's line ends (a lone \r: not)
    # Anything but line breaks and printable ASCII (a tab, a lone carriage return, a control
    # character, a byte-order mark, any non-ASCII text) is PyYAML's to read or refuse.
    if not text.isascii() or not text.replace("\n", "").isprintable():
        return None
    lines = _content_lines(text)
    if not lines:
        return None  # empty: plan_yaml says so
    reader = _Reader(lines)
    try:
        root = reader.block(lines[0][1], depth=0, key_line=None)
        if reader.at != len(lines):
            raise _Declined
    except _Declined:
        return None
    # Variables are replaced once the whole text is known to be read here, in the order
    # plan_yaml replaces them (the document's), so that the first unset one is the error.
    return _substituted(root, path, env) if "${" in text else root


def _content_lines(text: str) -> list[_Line]:
    """Every line holding more than spaces and a comment."""
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.lstrip(" ")
        if content and content[0] != "#":
            lines.append((number, len(line) - len(content), content))
    return lines


class _Reader:
    """Reads the content lines from `at` on; a sequence item's mapping is read by
    rewriting the item's line to start at its first key."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        self.at = 0

    def block(self, indent: int, depth: int, key_line: int | None) -> Node:
        """The mapping or sequence whose lines start at `indent`, from the current line."""
        if depth > _DEPTH_MAX:
            raise _Declined
        number, _, content = self.lines[self.at]
        if content.startswith("-"):
            return Node(self.sequence(indent, depth), number, key_line)
        return Node(self.mapping(indent, depth), number, key_line)

    def mapping(self, indent: int, depth: int) -> dict[str, Node]:
        fields: dict[str, Node] = {}
        while self.at < len(self.lines):
            number, at, content = self.lines[self.at]
            if at < indent:
                break  # the mapping has ended
            if at > indent or content.startswith("-"):
                raise _Declined  # a continued value, or an item where a key belongs
            key, value = _entry(content)
            if key in fields:
                raise _Declined  # plan_yaml names the line
            self.at += 1
            if value is None:
                fields[key] = self.below(indent, depth, number)
            else:
                fields[key] = _value(value, number, number)
        return fields

    def below(self, indent: int, depth: int, key_line: int) -> Node:
        """The value of a key with nothing after it on its line: a block indented more, or
        a sequence at the key's own indent."""
        if self.at == len(self.lines):
            raise _Declined  # null
        _, at, content = self.lines[self.at]
        if at > indent or (at == indent and content.startswith("- ")):
            return self.block(at, depth + 1, key_line)
        raise _Declined  # null

    def sequence(self, indent: int, depth: int) -> list[Node]:
        items: list[Node] = []
        while self.at < len(self.lines):
            number, at, content = self.lines[self.at]
            if at < indent or (at == indent and not content.startswith("-")):
                break  # ended; the key after a sequence at its key's indent, or a mistake
            if at > indent or not content.startswith("- "):
                raise _Declined  # a continued item, or `-` with its value below
            rest = content[2:].lstrip(" ")
            if rest[:1] in ("{", "["):
                items.append(_flow(rest, number, None))
                self.at += 1
            elif (": " in rest or rest[-1:] == ":") and rest[0] not in "-#\"'":
                # A mapping, its first key on the dash's line (a word holds no `: ` and
                # does not end with `:`).
                self.lines[self.at] = (number, indent + len(content) - len(rest), rest)
                items.append(self.block(self.lines[self.at][1], depth + 1, None))
            else:
                word = _word(rest)
                if word is None:
                    raise _Declined  # nested sequences, values below their dash
                items.append(Node(word, number))
                self.at += 1
        return items


def _entry(content: str) -> tuple[str, str | None]:
    """A mapping line's key and the text of its value (None when the value is below)."""
    key, colon, rest = content.partition(":")
    if not colon or (rest and rest[0] != " ") or not _is_key(key):
        raise _Declined
    value = rest.lstrip(" ")
    if not value or value[0] == "#":
        return key, None
    return key, value


def _is_key(key: str) -> bool:
    """Whether `key` is a key this reader takes: a word YAML reads as this text."""
    return (
        0 < len(key) <= _KEY_MAX
        and key[0] in _LETTERS
        and not key.strip(_KEY)
        and key.lower() not in _NOT_ALWAYS_TEXT
    )


def _value(text: str, number: int, key_line: int) -> Node:
    """The value written after a key on its line: one word, or a flow collection."""
    if text[0] in "{[":
        return _flow(text, number, key_line)
    word = _word(text)
    if word is None:
        raise _Declined
    return Node(word, number, key_line)


def _word(text: str) -> str | bool | None:
    """The word `text` holds (a comment may follow it) as YAML reads it, if as text or
    as `true` or `false`; or the text of a string quoted on one line."""
    if text[:1] in _QUOTES:
        quoted = _quoted(text, 0)
        if quoted is None:
            return None
        word, end = quoted
        return word if _ends_line(text[end:]) else None
    word, space, after = text.partition(" ")
    if space and after.lstrip(" ")[:1] not in ("", "#"):
        return None
    if not word or word[0] not in _WORD_FIRST or word.strip(_WORD):
        return None
    return _plain(word)


def _plain(word: str) -> str | bool | None:
    """The plain scalar `word` as YAML 1.1 reads it, if as text, `true` or `false`."""
    if word in _BOOLEANS:
        return word == "true"
    return word if _is_text(word) else None


def _ends_line(after: str) -> bool:
    """Whether what follows a value on its line is nothing, spaces, or a comment (after a
    space: `#` right after a value is no comment)."""
    return not after or (after[0] == " " and after.lstrip(" ")[:1] in ("", "#"))


def _is_text(word: str) -> bool:
    """Whether YAML 1.1 reads the plain scalar `word` (of `_WORD`) as text."""
    if word[-1] == ":":
        return False  # a key with its value missing, or in a flow collection its end
    first = word[0]
    if first.isalpha():
        return word.lower() not in _NOT_ALWAYS_TEXT
    if first in "_/$":
        return True  # no YAML 1.1 resolver reads a word starting so
    # A digit or a dot: YAML 1.1 numbers, times and `.inf` hold none of these characters.
    return "/" in word or "@" in word or "$" in word or "{" in word or "}" in word


def _flow(text: str, number: int, key_line: int | None) -> Node:
    """A flow collection on one line, `{from: REF, to: [REF, REF]}` or `[REF, REF]`, and
    after it nothing but spaces and a comment."""
    node, end = _flow_at(text, 0, number, key_line, nested=True)
    if not _ends_line(text[end:]):
        raise _Declined
    return node


def _flow_at(
    text: str, at: int, number: int, key_line: int | None, *, nested: bool
) -> tuple[Node, int]:
    """The flow collection starting at `at`, and where it ends: a mapping of one-word
    values or (when `nested`) sequences of words, or a sequence of words."""
    closing = "}" if text.startswith("{", at) else "]" if text.startswith("[", at) else ""
    if not closing or (closing == "}" and not nested):
        raise _Declined
    fields: dict[str, Node] = {}
    items: list[Node] = []
    at = _spaces(text, at + 1)
    while True:
        if closing == "}":
            key, at = _flow_key(text, at)
            if key in fields:
                raise _Declined
            if nested and text.startswith("[", at):
                fields[key], at = _flow_at(text, at, number, number, nested=False)
            else:
                word, at = _flow_word(text, at)
                fields[key] = Node(word, number, number)
        else:
            word, at = _flow_word(text, at)
            items.append(Node(word, number))
        at = _spaces(text, at)
        if text.startswith(",", at):
            at = _spaces(text, at + 1)
        elif text.startswith(closing, at):
            value = fields if closing == "}" else items
            return Node(value, number, key_line), at + 1
        else:
            raise _Declined


def _flow_key(text: str, at: int) -> tuple[str, int]:
    """The key at `at` and where its value starts, past `: ` and any more spaces."""
    colon = text.find(": ", at)
    if colon == -1 or not _is_key(text[at:colon]):
        raise _Declined
    return text[at:colon], _spaces(text, colon + 1)


def _quoted(text: str, at: int) -> tuple[str, int] | None:
    """The text of the string quoted at `at` and where it ends, past its closing quote, if
    it is written without an escape: in double quotes no `\\`, in single quotes no `''`.
    A quoted string is text whatever it holds; one not closed on its line (YAML folds it
    onto the next) is not read here."""
    quote = text[at]
    end = text.find(quote, at + 1)
    if end == -1:
        return None
    inner = text[at + 1 : end]
    if (quote == '"' and "\\" in inner) or text.startswith("'", end + 1):
        return None
    return inner, end + 1


def _flow_word(text: str, at: int) -> tuple[str | bool, int]:
    if text[at : at + 1] in _QUOTES:
        quoted = _quoted(text, at)
        if quoted is None:
            raise _Declined
        return quoted
    end = at
    while end < len(text) and text[end] in _FLOW:
        end += 1
    word = text[at:end]
    value = _plain(word) if word and word[0] in _FLOW_FIRST else None
    if value is None:
        raise _Declined
    return value, end


def _spaces(text: str, at: int) -> int:
    while text.startswith(" ", at):
        at += 1
    return at


def _substituted(node: Node, path: str, env: Mapping[str, str]) -> Node:
    """`node` with every `${VAR}` in its strings replaced, in the document's order."""
    value = node.value
    if isinstance(value, str):
        if "${" not in value:
            return node
        return Node(substitute(value, path, env, node.line), node.line, node.key_line)
    if isinstance(value, list):
        return Node([_substituted(item, path, env) for item in value], node.line, node.key_line)
    if not isinstance(value, dict):
        return node  # true or false
    fields = {key: _substituted(field, path, env) for key, field in value.items()}
    return Node(fields, node.line, node.key_line)
