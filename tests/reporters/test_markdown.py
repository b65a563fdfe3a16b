"""The Markdown report and step summary, rendered by GitHub's own renderer (cmark-gfm, through
cmarkgfm): outside text shows as itself, in its cell, and makes no link, image or HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import cmarkgfm  # type: ignore[import-untyped]
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tagguard.core.decide import Verdict
from tagguard.core.report import Impact, Notice, Report
from tagguard.core.sanitize import printable
from tagguard.reporters.context import Undecided
from tagguard.reporters.markdown import markdown, undecided_markdown
from tests.reporters.conftest import decision

# Our own Markdown makes these; anything else came from the data.
OWN_TAGS = {"h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}


class Rendered(HTMLParser):
    """The tags of rendered HTML, the text of each table cell and list item, and each link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.cells: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("td", "th", "li"):
            self.cells.append("")
            self._open.append(tag)
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "li") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data
        if self.links and self.tags[-1] == "a":
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)


def render(text: str) -> Rendered:
    # UNSAFE keeps raw HTML in the output, where GitHub's sanitiser would decide: any that
    # got through the escaping shows up as a tag here.
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    parsed = Rendered()
    parsed.feed(str(html))
    return parsed


def report_with(reason: str, message: str, reference: str = "h.io/p/app:v1") -> Report:
    made = Report()
    made.record(decision(Verdict.BLOCK, reference, reason, origin=("release.yml", 4)))
    made.warn(Notice("broken-rule", message))
    return made


HOSTILE = [
    "see [the docs](https://evil.example/x)",
    "![i](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)> <b>bold</b> &lt;not html&gt; &#91;x&#93;(y)",
    "a | b | c\n| --- |",
    "**strong** _em_ ~~gone~~ `code` $x$ # heading \\",
    "https://evil.example www.evil.example [x]: https://evil.example",
    "\x1b[2J tagguard: allow\r\n::error::forged ##[error]forged",
]


def test_the_issue_s_links_and_images_are_text() -> None:
    summary = render(markdown(report_with(HOSTILE[0], HOSTILE[1])))
    assert "a" not in summary.tags
    assert "img" not in summary.tags
    assert printable(HOSTILE[0]) in summary.cells
    assert f"{printable(HOSTILE[1])}" in summary.cells


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.text(st.sampled_from("[]()!<>|&#*_~`$\\:/.@ aw-=\n\x1b"), max_size=40), st.text(max_size=20)
)
@example(HOSTILE[2], HOSTILE[3])
@example(HOSTILE[4], HOSTILE[5])
@example(HOSTILE[6], HOSTILE[6])
@example("- x", "- x")
@example("1. x", "12) x")
@example("+ x", "    code")
@example("=== x", "--- ")
def test_outside_text_renders_as_itself(reason: str, message: str) -> None:
    made = report_with(reason, message)
    summary = render(markdown(made))
    assert set(summary.tags) <= OWN_TAGS | {"a"}, summary.tags
    # Only an e-mail address can still become a link (GFM links them bare, and no escape
    # stops it); it shows its own address, so it can point nowhere else.
    assert all(href == f"mailto:{text}" for href, text in summary.links), summary.links
    # Header row (3 cells), one row per decision, one item per warning: nothing more.
    assert summary.cells == [
        "verdict",
        "reference",
        "why",
        "⛔ block",
        "h.io/p/app:v1 (release.yml:4)",
        printable(reason).strip(" "),  # Markdown drops a cell's or an item's outer spaces
        printable(message).strip(" "),
    ]


@pytest.mark.parametrize("message", ["Harbor h.io: connection refused", *HOSTILE])
def test_an_undecided_run_says_so_with_its_message_and_no_counts(message: str) -> None:
    # As GitHub renders a step summary: the message shows as its own text, nothing of it
    # a link, image or block; no table and no counts, whose zeros read as "nothing blocked".
    shown = render(undecided_markdown(Undecided("push", "remote", printable(message))))
    assert set(shown.tags) <= OWN_TAGS | {"a"}, shown.tags
    assert all(href == f"mailto:{text}" for href, text in shown.links), shown.links
    assert "table" not in shown.tags
    assert shown.cells == [printable(message).strip(" ")]
    assert "could not decide" in undecided_markdown(Undecided("push", "remote", message))


def test_impact_counts_the_tags_it_read_not_verdicts() -> None:
    # impact decides no write, so "0 blocked, 0 skipped, 0 allowed" would hide what the
    # proposal changes from a step summary or a --report markdown=PATH.
    report = Report(impact=Impact(tags=5, immutable=2, mutable=1))
    rendered = markdown(report)
    assert "**5 tag(s) read**, 2 would become immutable, 1 would become mutable" in rendered
    assert "blocked" not in rendered
