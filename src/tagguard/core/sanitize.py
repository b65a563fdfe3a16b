"""Making untrusted text safe to print, and keeping secrets out of what is printed.

Rule patterns and decorations are free text from Harbor or a rules file, and so are Harbor's
error messages; all of it ends up in CI logs. `printable` is the one function every
presenter passes such text through (the docker plugin included); `printable_json` does the
same for a whole JSON document.

What a CI log reader does with a line, and so what must never reach one from outside data:

* A terminal, and GitLab's log viewer, act on ESC sequences (clear the screen, move the
  cursor, GitLab's `section_start:` markers) and on CR (overwrite the line): every control
  character is shown as a Python escape (``\\x1b``, ``\\r``).
* GitHub's runner (actions/runner, ``ActionCommandManager.TryProcessCommand``) reads each
  line with .NET's ``StreamReader.ReadLine`` (a line ends at LF, CR or CRLF) and gives it to
  two parsers (``ActionCommand.TryParseV2`` then ``TryParse``, ported in
  tests/ci_commands.py):

  - ``::name k=v::data`` only where the line, less leading white space, starts with ``::``.
    A ``:`` at the start of a fragment (after spaces) is shown as ``\\x3a``, so neither the
    fragment nor a fragment after it can make a line start ``::``.
  - ``##[name k=v]data`` *anywhere* in the line (``IndexOf("##[")``): the ``[`` of every
    ``##[`` is shown as ``\\x5b``, and a ``#`` that ends a fragment as ``\\x23``, so no
    ``##[`` can be formed inside a fragment or across two.

  Escaping rather than `::stop-commands::` around each echo: a stop only suspends commands
  until its token, it needs a line of its own before and after, and it does nothing for
  stderr, `explain` or `lint`; with the syntax escaped there is no command to stop.
* .NET compares ``IndexOf``/``StartsWith`` strings with the culture's rules (ICU), which skip
  "ignorable" code points: ``#`` + U+00AD + ``#[`` can read as ``##[``. Every default-ignorable
  code point (invisible anyway) is escaped too, as are other characters Python does not call
  printable (line and paragraph separators, lone surrogates, unassigned code points).
"""

from __future__ import annotations

import re
import threading

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15.1). Most are
# format characters (already not printable); the rest are invisible marks and fillers. Only
# text beyond ASCII is searched, so the pattern is compiled when such text first comes (the
# re module keeps it): compiling it costs every run 0.5 ms otherwise.
_IGNORABLE = (
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def _escaped(character: str) -> str:
    return ascii(character)[1:-1]  # \x1b, \u200b, \U000e0001, \ud800


def printable(text: str) -> str:
    """`text` as one line that no terminal, log viewer or CI runner acts on.

    Control, format, separator and invisible characters are shown as Python escapes; the
    command syntax of GitHub's runner is broken up (`##[` anywhere, `:` at the start, `#` at
    the end: see the module's docstring). Idempotent, and safe to concatenate: fragments
    joined by text that neither ends in `#` nor is followed by `[` stay safe."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escaped(ch) for ch in text)
    if not text.isascii():
        text = re.sub(_IGNORABLE, lambda found: _escaped(found.group()), text)
    if "##[" in text:
        text = text.replace("##[", "##\\x5b")
    start = len(text) - len(text.lstrip(" "))
    if text.startswith(":", start):
        text = f"{text[:start]}\\x3a{text[start + 1 :]}"
    if text.endswith("#"):
        text = text[:-1] + "\\x23"
    return text


def printable_json(document: str) -> str:
    """A JSON document (ASCII, as json.dumps writes by default) that reads back to the same
    data but holds no `##[`: outside strings JSON has no `#`, and inside one `\\u0023` is the
    same `#`. Its lines start with `{`, `[`, `"`, `]`, `}` or spaces, never `::`, and its
    strings already escape control characters."""
    return document.replace("##[", "#\\u0023[") if "##[" in document else document


def quoted(text: str) -> str:
    """`text` in quotes as it is written, for a rule's pattern in a message: repr would
    double each backslash (a glob's `\\*` would read `\\\\*`, a pattern the user never
    wrote). Double quotes around text holding `'` and no `"`, as repr chooses. Control
    characters are left to `printable`, which every presenter applies."""
    mark = '"' if "'" in text and '"' not in text else "'"
    return f"{mark}{text}{mark}"


ELLIPSIS = "..."


def shortened(text: str, limit: int) -> str:
    """`text` in at most `limit` characters and an ellipsis, cut at a blank: the word the cut
    falls in is left out whole. A server's message may quote a secret: cut inside a word of
    it, its first characters would be shown; cut at a blank inside it, its first words stand
    before the ellipsis, which the redactor hides (`Redactor`)."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    if head[-1].isspace():  # the cut falls on a blank: every word before it is whole
        return head.rstrip() + ELLIPSIS
    kept = head.rsplit(maxsplit=1)[0] if len(head.split()) > 1 else ""
    return kept.rstrip() + ELLIPSIS


REDACTED = "***"
_SHORTEST = 4  # characters of the shortest secret the redactor hides (`Redactor.keep`)

# A URL's user part: from `://` to the last `@` before the next entry of a --harbor-url list
# (a separator, maybe `HOST=`, then a scheme). The last `@`, not the authority's end at `/`,
# nor a separator or a `://` alone: a password may hold `/`, `?`, `#`, `@`, a comma, a
# blank or `://` unencoded, and a host hidden with it says nothing secret.
_NEXT_ENTRY = r"[,\s]+(?:[^,\s=]+=)?[A-Za-z][A-Za-z0-9+.-]*://"
_USERINFO = rf"://(?:(?!{_NEXT_ENTRY}).)*@"


def without_credentials(text: str, hidden: str = "<hidden>@") -> str:
    """A URL-valued setting or input as it may be shown (a CI log): `without_userinfo`,
    and a user part written before the scheme (`user:pw@https://h`) or without one
    (`user:pw@h`) hidden too, as `hidden` (`""`: dropped)."""
    before_scheme = text.partition("://")[0]
    if "@" in before_scheme:
        text = hidden + text[len(before_scheme.rpartition("@")[0]) + 1 :]
    return without_userinfo(text, hidden)


def without_userinfo(text: str, hidden: str = "<hidden>@") -> str:
    """`text` with the user and password of every URL in it shown as `<hidden>`
    (`https://<hidden>@harbor.example.com`): a URL given with its credentials still names
    its host in a message or a setting. An e-mail address, with no `://`, stays. With
    `hidden=""` the user part is dropped: a URL to suggest instead."""
    if "@" not in text or "://" not in text:
        return text
    return re.sub(_USERINFO, lambda _: f"://{hidden}", text)


class Redactor:
    """The secrets one run holds (passwords, identity and registry tokens), registered where
    they are read or received, and hidden in everything the run prints or writes: a registry
    that echoes a credential back in an error message or a rule must not get it into a public
    CI log.

    A secret with blanks in it (a passphrase) is also hidden where `shortened` cut it: its
    words up to a blank, right before the ellipsis (`correct horse...` of `correct horse
    battery staple`), in every form the outputs write (`cut_forms`). Hidden here rather
    than by cutting only once the message is redacted: a server's words reach the stderr
    line, --format json and every report (some written piece by piece) inside longer
    messages, and each of those would have to know which part to cut; the redactor is the
    one place all of them pass, and a cut can leave of a secret only such a start.

    One per run, made where the run is put together (tagguard.cli for the CLI, the docker
    plugin's and the git hook's entry points) and handed to whatever registers or prints; a
    secret of one run is never hidden, nor shown, by another. Worker threads register
    tokens while the main thread prints: the list is replaced whole, under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()  # longest first: a secret inside another goes too
        self._cuts: frozenset[str] = frozenset()  # cut passphrases, each ending in ELLIPSIS
        self._cut: re.Pattern[str] | None = None  # any of them, longest first
        # Every 4 characters in a row of any secret's forms, made when first needed (most
        # runs print no ellipsis): a cut start ends in one of them (`_hide_cut_starts`).
        self._grams: frozenset[str] | None = None

    def keep(self, value: str | None) -> None:
        """Registers a secret, with every form an output escapes it to (`escaped_forms`),
        and what a cut leaves of it (`cut_forms`). Very short values are not registered:
        hiding every `a` in a report would say more about the secret than it hides."""
        if not value or len(value) < _SHORTEST or value in self._secrets:
            return
        cuts = cut_forms(value)
        with self._lock:
            found = {*self._secrets, value, *escaped_forms(value)}
            self._secrets = tuple(sorted(found, key=len, reverse=True))
            self._grams = None
            if cuts - self._cuts:
                self._cuts |= cuts
                longest = sorted(self._cuts, key=len, reverse=True)
                self._cut = re.compile("|".join(map(re.escape, longest)))

    def redact(self, text: str) -> str:
        """`text` with every registered secret, and every cut passphrase, replaced by ***.
        Cuts first: a shorter secret inside a cut passphrase, hidden first, would leave the
        passphrase's first words unmatched."""
        cut = self._cut
        if cut is not None and ELLIPSIS in text:
            text = cut.sub(REDACTED + ELLIPSIS, text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # The secrets first: with none (most runs) the text is not searched at all.
        if self._secrets and ELLIPSIS in text:
            text = self._hide_cut_starts(text)
        return text

    def _hide_cut_starts(self, text: str) -> str:
        """`text` with the start of a secret, in any of its forms, hidden where it stands
        right before an ellipsis: what a cut at a fixed length leaves of it (a rule's
        pattern too deep to evaluate is quoted by its first 60 characters, and a server
        writing a secret there had its first words shown). Starts shorter than a secret
        `keep` registers stay: a word's last letters often start one.

        The 4 characters before an ellipsis are looked up first: only where some secret
        holds them is its start searched for (a report of 75,000 tags like `build...`
        took seconds where every ellipsis was searched for every form)."""
        grams = self._grams
        if grams is None:
            grams = self._grams = frozenset(
                form[i : i + _SHORTEST]
                for form in self._secrets
                for i in range(len(form) - _SHORTEST + 1)
            )
        pieces: list[str] = []
        start = 0
        while (at := text.find(ELLIPSIS, start)) != -1:
            before = text[start:at]
            length = self._cut_start(before) if before[-_SHORTEST:] in grams else 0
            pieces += [before[: len(before) - length], REDACTED if length else "", ELLIPSIS]
            start = at + len(ELLIPSIS)
        pieces.append(text[start:])
        return "".join(pieces)

    def _cut_start(self, before: str) -> int:
        """The length of the longest end of `before` that starts a registered form, 0 for
        none of at least `_SHORTEST` characters."""
        longest = 0
        for secret in self._secrets:
            head = secret[:_SHORTEST]
            at = before.find(head, max(0, len(before) - len(secret)))
            while at != -1 and len(before) - at > longest:
                if secret.startswith(before[at:]):
                    longest = len(before) - at
                    break
                at = before.find(head, at + 1)
        return longest


def cut_forms(secret: str) -> set[str]:
    """What `shortened` leaves of `secret` when it cuts the text at a blank inside it: the
    secret up to that blank, less the blanks before it, then the ellipsis; each as it is
    and in every form the outputs escape it to. Escaped with the ellipsis after it, as it
    stands in a message: `printable` escapes a `#` only at the very end of the text."""
    starts = {secret[:at].rstrip() for at, character in enumerate(secret) if character.isspace()}
    found: set[str] = set()
    for start in starts - {""}:
        cut = start + ELLIPSIS
        found |= {cut, *(form for form in escaped_forms(cut) if form.endswith(ELLIPSIS))}
    return found


def escaped_forms(secret: str) -> set[str]:
    """`secret` as the outputs write it inside a longer text, where that differs: a JSON
    string (ASCII or not: --format json, the json, sarif and codequality reports), a
    Python repr or ascii() of a message quoting a server's value (inside single quotes,
    the quote escaped, or inside double quotes), `printable`'s escapes, XML's (the JUnit
    report), Markdown's (the summaries), a GitHub workflow command's and the blanks a
    one-line message collapses; and each of those escaped once more (a repr inside a JSON
    report, `printable` then Markdown). Redacting the finished text must find each: a
    quote, a backslash, a tab, a `&`, a `%`, a `*` or an `é` in a password otherwise let
    it through.

    Each from the secret as written and from its blanks collapsed: every error message is
    collapsed as it is made (tagguard.errors), before `printable` and an output escape it
    (a tab and an ESC in a password reached a SARIF report as `a b\\x1b`); and a JSON
    document's `##[` as `printable_json` writes it (`#\\u0023[`)."""
    import json  # only when a secret is registered: most runs have none

    def reprs(text: str) -> set[str]:
        found: set[str] = set()
        for quote in (repr, ascii):
            # With both quotes in it a repr uses ', escaping it: the text's own part, then `\'"`.
            single = quote(text + "'\"")[1:-4]
            found |= {single, single.replace("\\'", "'")}  # inside "...", ' is not escaped
        return found

    def once(text: str) -> set[str]:
        return {
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            printable_json(json.dumps(text)[1:-1]),
            printable_json(json.dumps(text, ensure_ascii=False)[1:-1]),
            printable(text),
            xml_escaped(text),
            xml_escaped(text).replace('"', "&quot;"),  # in an attribute
            escape_data(text),
            escape_property(text),
            markdown_literal(text),
            " ".join(text.split()),
            *reprs(text),
        }

    collapsed = " ".join(secret.split())
    first = once(secret) | once(collapsed) | {collapsed}
    forms = first.union(*(once(form) for form in first))
    forms.discard(secret)
    return {form for form in forms if len(form) >= _SHORTEST}


def xml_escaped(text: str) -> str:
    """`text` as ElementTree writes it in an element: `&`, `<` and `>` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_data(value: str) -> str:
    """A GitHub workflow command's message: `%`, CR and LF as the runner unescapes them."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A GitHub workflow command's property value: `escape_data`, and `:` and `,` too."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


# Backslash-escaped, each renders as itself (CommonMark: any ASCII punctuation may be escaped):
# links and images ([ ]), HTML and autolinks (< >), entities (&), table cells (|), code spans
# (`), emphasis and strike-through (* _ ~), math ($), headings (#) and the escape itself.
# Compiled when Markdown is first written (the re module keeps it).
_MARKDOWN_SPECIAL = r"([\\`*_~\[\]<>|&$#])"


def markdown_literal(text: str) -> str:
    """`text` with every character Markdown would act on backslash-escaped."""
    return re.sub(_MARKDOWN_SPECIAL, r"\\\1", text)
