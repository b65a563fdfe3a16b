"""printable and printable_json against the GitHub runner's own command parser (ported in
tests/ci_commands.py), terminals' control characters, and .NET's line breaking; the
redactor, and a URL's credentials hidden."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tagguard.core.sanitize import (
    Redactor,
    printable,
    printable_json,
    quoted,
    shortened,
    without_credentials,
    without_userinfo,
)
from tests.ci_commands import commands_in, parses_as_command, read_lines

# Text built to hit the runner's syntax: its markers, command names and line breaks.
PIECES = st.sampled_from(
    [
        "::",
        ":",
        "##[",
        "#",
        "[",
        "]",
        "error",
        "stop-commands",
        "zz",
        " ",
        "\t",
        "\u00a0",
        "\n",
        "\r",
        "\x1b",
        "\x85",
        "\u2028",
        "\u00ad",
        "\ufe0f",
        "\ud800",
        "%0A",
        "=",
        ",",
    ]
)
HOSTILE = st.lists(PIECES | st.text(max_size=3), max_size=12).map("".join)
# Presenter text around a fragment: it never ends in '#' nor starts with '[' after one.
AROUND = st.sampled_from(["", " ", "  rule 1: ", "tagguard: error: ", ": ", " (", ")"])


def no_command(line: str) -> bool:
    return all(parses_as_command(part) is None for part in read_lines(line) or [""])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(HOSTILE)
@example("{v1,##[stop-commands]zz}")
@example("::error file=a::forged")
@example(" \t::warning::x")
@example("#\u00ad#[error]x")
def test_nothing_printable_returns_is_a_command_or_a_second_line(text: str) -> None:
    shown = printable(text)
    assert len(read_lines(shown)) <= 1
    assert shown.isprintable()
    assert "##[" not in shown
    assert "\x1b" not in shown
    assert no_command(shown)
    assert printable(shown) == shown  # idempotent: printing twice changes nothing


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.tuples(AROUND, HOSTILE), min_size=1, max_size=4), AROUND)
@example([("", "x#"), ("", "#[error]y")], "")
@example([("", "##"), ("", "[error]y")], "")
@example([("", ":"), ("", ":error::y")], "")
@example([(" ", " "), ("", "::error::y")], "")
def test_fragments_joined_by_presenter_text_stay_safe(
    parts: list[tuple[str, str]], end: str
) -> None:
    line = "".join(before + printable(fragment) for before, fragment in parts) + end
    assert no_command(line)
    assert [c.data for c in commands_in(line + "\n::error::real\n")] == ["real"]


def test_what_the_runner_would_act_on_is_escaped_visibly() -> None:
    assert printable("{v1,##[stop-commands]zz}") == "{v1,##\\x5bstop-commands]zz}"
    assert printable("  ::error::x") == "  \\x3a:error::x"
    assert printable("a\x1b[2Jb\r\nc") == "a\\x1b[2Jb\\r\\nc"
    assert printable("v1#") == "v1\\x23"
    assert printable("#\u00ad#[x\ufe0f") == "#\\xad#[x\\ufe0f"
    assert printable("lone \ud800") == "lone \\ud800"


def test_quoted_keeps_a_pattern_as_written() -> None:
    assert quoted("v\\*") == "'v\\*'"  # one backslash, as written
    assert quoted("it's") == '"it\'s"'
    assert quoted('say "it\'s"') == "'say \"it's\"'"
    assert quoted("") == "''"


def test_ordinary_text_is_unchanged() -> None:
    for text in [
        "harbor.example.com/platform/api:v1.4.0",
        "[::1]:5000/p/app:v1",
        "tag selector matches 'v[0-9]*.*.*' does not select 'latest'",
        "{**,release-*} # comment",
        "café ünïcode 日本",
        "a: b",
    ]:
        assert printable(text) == text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(JSON)
@example({"pattern": "{v1,##[stop-commands]zz}", "###[": "##[error]x"})
def test_json_reads_back_the_same_and_holds_no_command(data: object) -> None:
    for indent in (None, 2):
        document = printable_json(json.dumps(data, indent=indent))
        assert json.loads(document) == data
        assert "##[" not in document
        assert not commands_in(document)


def test_a_redactor_hides_its_own_secrets_longest_first() -> None:
    redactor = Redactor()
    redactor.keep("token")
    redactor.keep("token-and-more")
    redactor.keep(None)
    redactor.keep("abc")  # too short: hiding every `abc` would say more than it hides
    assert redactor.redact("a token-and-more, a token, abc") == "a ***, a ***, abc"


def test_redactors_share_nothing() -> None:
    """One per run: what one run registered is neither hidden nor known by another."""
    first, second = Redactor(), Redactor()
    first.keep("s3cret-pw")
    assert first.redact("pw=s3cret-pw") == "pw=***"
    assert second.redact("pw=s3cret-pw") == "pw=s3cret-pw"


SPECIAL_SECRETS = [
    'pw"q\\é-S3cret',
    "pw'q\\-S3cret",
    "pw\tq-S3cret",
    "pw'q\"-S3cret",
    "pw\u2028-S3cret",
]


@pytest.mark.parametrize("secret", SPECIAL_SECRETS)
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: json.dumps({"message": text}),  # --format json, the json and sarif reports
        lambda text: json.dumps({"message": text}, ensure_ascii=False),
        repr,  # a message quoting a value a server sent: f"{value!r}"
        ascii,
        printable,  # each line of text output and every error line
        lambda text: printable(repr(text)),
    ],
)
def test_a_secret_is_hidden_however_a_report_escapes_it(secret: str, encode: Any) -> None:
    # Found with a Harbor echoing the password into a warning and its version: a quote, a
    # backslash, a tab or a non-ASCII letter in it came out escaped in JSON or a repr, and
    # the redactor, which looked for the secret as given, let it through.
    redactor = Redactor()
    redactor.keep(secret)
    shown = redactor.redact(encode(f"server said: {secret} (again: {secret})"))
    assert "S3cret" not in shown, shown
    assert "***" in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://ci:pw@h.io/api?q=1", "https://<hidden>@h.io/api?q=1"),
        (
            "a=http://ci:pa/ss@h.io,b=https://u:p@g.io",
            "a=http://<hidden>@h.io,b=https://<hidden>@g.io",
        ),
        ("'http://ci:p@w@h.io' must be", "'http://<hidden>@h.io' must be"),
        ("mail robot@example.com at https://h.io", "mail robot@example.com at https://h.io"),
        # A comma or a blank in the password: they ended the user part, and `tagguard config`
        # printed the password whole (TAGGUARD_HARBOR_URL='https://bob:s3cr,et@h.io').
        ("https://bob:s3cr,et@h.io", "https://<hidden>@h.io"),
        ("https://bob:s3 cr et@h.io", "https://<hidden>@h.io"),
        ("a=https://h.io,b=https://u:p,w@g.io", "a=https://h.io,b=https://<hidden>@g.io"),
        # `://` in a password is no next URL: only a separator, maybe HOST=, and a scheme are.
        ("https://u:a://b@h.io", "https://<hidden>@h.io"),
        ("h=https://u:p@a.io h2=https://b.io", "h=https://<hidden>@a.io h2=https://b.io"),
    ],
)
def test_a_urls_user_part_is_hidden(text: str, shown: str) -> None:
    assert without_userinfo(text) == shown


def test_a_urls_user_part_can_be_dropped() -> None:
    assert without_userinfo("https://ci:pw@h.io/", hidden="") == "https://h.io/"


@given(
    st.text(st.characters(blacklist_categories=("Cs", "Cc"))).filter(
        lambda p: not re.search(r"[,\s]+(?:[^,\s=]+=)?[A-Za-z][A-Za-z0-9+.-]*://", p)
    )
)
def test_no_password_survives_in_a_url(password: str) -> None:
    """Whatever a password holds (`/`, `@`, `?`, `#`, `://`, a comma, a blank), none of it is
    shown: the user part ends at the last `@` before the next entry of a list (a separator,
    maybe HOST=, and a scheme), which no password here holds."""
    assert without_userinfo(f"x=https://ci:{password}@h.io:1, y") == "x=https://<hidden>@h.io:1, y"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("admin:s3cret@h.io", "<hidden>@h.io"),
        ("admin:s3cret@https://h.io", "<hidden>@https://h.io"),
        ("https://u:p@h.io", "https://<hidden>@h.io"),
        ("https://h.io", "https://h.io"),
    ],
)
def test_a_url_setting_hides_a_user_part_however_written(text: str, shown: str) -> None:
    assert without_credentials(text) == shown


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("short", 10, "short"),
        ("one two three", 9, "one two..."),  # "three" would be cut: left out whole
        ("one two three", 7, "one two..."),  # the cut falls on the blank
        ("x" * 20, 10, "..."),  # one word, cut: nothing of it
    ],
)
def test_a_cut_never_keeps_part_of_a_word(text: str, limit: int, shown: str) -> None:
    # A server's message quoting a secret is cut to a length; the redactor finds a secret
    # only whole, so a cut inside it showed its first characters.
    assert shortened(text, limit) == shown


PASSPHRASES = ["correct horse battery staple", 'Zebra "Quoted"\tPass\\Phrase é Here']


@pytest.mark.parametrize("secret", PASSPHRASES)
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text,
        lambda text: json.dumps({"message": text}),  # --format json, the json and sarif reports
        lambda text: json.dumps({"message": text}, ensure_ascii=False),
        printable,  # each line of text output and every error line
        lambda text: json.dumps(printable(text)),  # an error's message in a json report
    ],
)
def test_no_word_of_a_passphrase_survives_a_cut_anywhere_in_it(secret: str, encode: Any) -> None:
    # A server's message quoting a password with blanks, cut inside it: the words before the
    # cut stood before the `...`, where the redactor, which knew the password whole, let
    # them through.
    redactor = Redactor()
    redactor.keep(secret)
    for cut in range(len(secret) + 1):
        # The secret starts `cut` characters before the 40th, where the text is cut.
        text = "w" * (40 - cut - 1) + " " + secret + " is not welcome"
        shown = redactor.redact(encode(f"server said: {shortened(text, 40)} (code 500)"))
        assert "w" * (40 - cut - 1) in shown  # the server's words up to the secret stay
        for word in re.findall("[A-Za-z]{4,}", secret):  # as every encoding writes them
            assert word not in shown, (cut, shown)


def test_only_a_cut_passphrase_is_hidden_before_an_ellipsis() -> None:
    """Words before a `...` are hidden only where they are how a passphrase starts: the
    ellipsis of other text, and other words, stay as they are."""
    redactor = Redactor()
    redactor.keep("correct horse battery staple")
    assert redactor.redact("horse... correctly... correct horse... x") == (
        "horse... correctly... ***... x"
    )
    assert redactor.redact("correct horse") == "correct horse"  # no cut: not the secret


@pytest.mark.parametrize(
    "secret",
    ["Kx7\tJm4\nPq2\rRt5\x1bWy3", "Kx7éJm4\u200bPq2\u2028Rt5😀Wy3", "Kx7::Jm4##[Pq2"],
)
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: json.dumps({"message": printable(text)}),  # a warning in a SARIF report
        lambda text: json.dumps({"message": printable(text)}, ensure_ascii=False),
        lambda text: printable_json(json.dumps({"message": text})),  # the json report
        lambda text: printable_json(json.dumps({"message": text}, ensure_ascii=False)),
    ],
)
def test_a_secret_in_an_error_message_is_hidden_in_every_report(secret: str, encode: Any) -> None:
    # Found with a Harbor echoing the password into its error: an error's message has its
    # blanks collapsed as it is made (a tab, a line break, U+2028 become one space), then
    # `printable` escapes an ESC or a U+200B and JSON escapes that backslash: three steps
    # from the secret, one more than the redactor looked. And the json report's `##[`,
    # written `#\u0023[` by printable_json, was no form the redactor knew.
    from tagguard.errors import RemoteError

    redactor = Redactor()
    redactor.keep(secret)
    message = RemoteError(f"h.io answered 500 DENIED: password {secret} is not welcome").message
    shown = redactor.redact(encode(message))
    assert "is not welcome" in shown
    for piece in ("Kx7", "Jm4", "Pq2"):
        assert piece not in shown, shown


def test_a_secret_cut_at_a_fixed_length_shows_none_of_its_start() -> None:
    # A hostile Harbor's rule pattern, too deep to evaluate, holding the password where the
    # message quoting the pattern's first 60 characters cuts it: its first 16 characters
    # stood before the `...`, where the redactor, which knew it only whole, let them through.
    from tagguard.core.glob import doublestar_match
    from tagguard.errors import PatternTooComplexError

    secret = "Pa55-Zq8vW3-DoNotPrint"
    redactor = Redactor()
    redactor.keep(secret)
    pattern = "{" + "x" * 43 + secret + ",v}" + "{1," * 3000 + "}" * 3000
    with pytest.raises(PatternTooComplexError) as raised:
        doublestar_match(pattern, "v1")
    message = raised.value.message
    assert "Pa55-Zq8" in message  # the cut falls inside the secret
    for shown in (redactor.redact(message), redactor.redact(json.dumps({"m": message}))):
        assert "x" * 43 + "***..." in shown
        assert "Pa55" not in shown
    # The start of a secret counts only right before an ellipsis, and only as its start.
    assert (
        redactor.redact("Pa55-Zq8 and 1-DoNo... and Pa55...") == "Pa55-Zq8 and 1-DoNo... and ***..."
    )


def test_a_run_with_no_secret_leaves_its_output_unread() -> None:
    # Most runs register no secret (an offline check), and a 50k-reference JSON report is
    # 27 MB: looking through it for an ellipsis no secret can stand before cost 17 ms.
    class Watched(str):
        searched = 0

        def __contains__(self, part: object) -> bool:
            Watched.searched += 1
            return super().__contains__(str(part))

        def find(self, *args: Any) -> int:
            Watched.searched += 1
            return super().find(*args)

    report = Watched('{"reason": "a word..."}')
    assert Redactor().redact(report) == report
    assert Watched.searched == 0


def test_an_ellipsis_after_characters_no_secret_holds_is_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A cut start ends with 4 characters some form of a secret holds in a row; only such an
    # ellipsis is searched further (tags like `build...`, 75,000 of them in a report, took
    # seconds where each was searched for every form).
    redactor = Redactor()
    redactor.keep("Pa55-Zq8vW3-DoNotPrint")
    searched: list[str] = []
    search = Redactor._cut_start

    def counted(self: Redactor, before: str) -> int:
        searched.append(before)
        return search(self, before)

    monkeypatch.setattr(Redactor, "_cut_start", counted)
    text = "build... v1... release-2024... and Pa55-Zq... too"
    assert redactor.redact(text) == "build... v1... release-2024... and ***... too"
    assert searched == [" and Pa55-Zq"]
