"""`tagguard lint`: what Harbor will silently do differently from what a rule's author meant.

Harbor stores rules without checking them and evaluates them with quirks no UI shows.
Every finding here is backed by Harbor's own matcher where it can be: a pattern error
is reported with a name that triggers it, a version difference with a name whose answer
changes, a quirk with a name the pattern reads as matching but does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from tagguard.core import glob
from tagguard.core.probes import (
    COMMON_REPOSITORIES,
    COMMON_TAGS,
    error_probes,
    intended_names,
    probe_names,
)
from tagguard.core.record import field, record
from tagguard.core.rules import REPOSITORY_SCOPE, Rule, SelectorSpec, evaluate
from tagguard.core.sanitize import quoted
from tagguard.core.selector import (
    DECORATIONS,
    DOUBLESTAR,
    EXCLUDES,
    MATCHES,
    NAMESPACE_DECORATIONS,
    REPO_EXCLUDES,
    TAG_DECORATIONS,
)
from tagguard.errors import PatternError, PatternTooComplexError

OLD_HARBOR = "Harbor before 2.9.5, 2.10.3 and 2.11 (doublestar v1.1.1)"
NEW_HARBOR = "Harbor 2.9.5+, 2.10.3+ and 2.11+ (doublestar v1.3.4)"


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@record
class Finding:
    level: Level
    code: str
    rule_id: int
    rule_index: int
    message: str
    project: str | None = None
    slot: str | None = None
    pattern: str | None = None
    # A name the finding is about (e.g. one that makes the pattern error), when there is one.
    example: str | None = None


def lint_rules(
    rules: Sequence[Rule], glob_version: str, project: str | None = None
) -> list[Finding]:
    """Findings for one project's rules, in the order Harbor evaluates them (by id)."""
    ordered = sorted(rules, key=lambda r: r.id)
    findings: list[Finding] = []
    for position, rule in enumerate(ordered):
        later = tuple(r.id for r in ordered[position + 1 :] if not r.disabled)
        findings.extend(_RuleLinter(rule, glob_version, project, later).run())
    return findings


@record(frozen=False)
class _RuleLinter:
    rule: Rule
    version: str
    project: str | None
    later: tuple[int, ...]
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        level: Level,
        code: str,
        message: str,
        slot: str | None = None,
        pattern: str | None = None,
        example: str | None = None,
    ) -> None:
        if self.rule.disabled and level is Level.ERROR:
            # A disabled rule changes nothing today; its faults matter once enabled.
            level, message = Level.WARNING, message + " (the rule is disabled for now)"
        rule = self.rule
        self.findings.append(
            Finding(level, code, rule.id, rule.index, message, self.project, slot, pattern, example)
        )

    def run(self) -> list[Finding]:
        rule = self.rule
        if rule.disabled:
            self.add(Level.INFO, "disabled", f"rule {rule.id} is disabled, so Harbor skips it")
        if rule.ignored:
            self.add(Level.WARNING, "ignored-field", rule.ignored_sentence())
        if not rule.repository_selectors:
            missing = (
                "no repository selector"
                if rule.repository_selectors is not None
                else 'no "repository" scope'
            )
            self.add(Level.WARNING, "never-matches", f"rule {rule.id} has {missing}{_NEVER}")
        if not rule.tag_selectors:
            self.add(Level.WARNING, "never-matches", f"rule {rule.id} has no tag selector{_NEVER}")
        slots = ((REPOSITORY_SCOPE, rule.repository_selectors or ()), ("tag", rule.tag_selectors))
        for slot, selectors in slots:
            if not selectors:
                continue
            for extra in selectors[1:]:
                self.add(
                    Level.WARNING,
                    "ignored-selector",
                    f"rule {rule.id}: Harbor reads only the first {slot} selector; "
                    f"{extra.describe()} is ignored ({_merge_hint(selectors, self.version)})",
                    slot,
                    extra.pattern,
                )
            self.selector(slot, selectors[0])
        if not rule.disabled:
            self.signature_tags()
        return self.findings

    # -- cosign signatures ----------------------------------------------------------------

    def signature_tags(self) -> None:
        """A rule that makes cosign's signature tags immutable refuses every re-signing.

        cosign pushes a signature as tag `sha256-<subject hex>.sig`; Harbor checks that
        push like any other (SEMANTICS.md section 5, goharbor/harbor#17332), so once the
        tag exists and is immutable, signing the image again answers 412. Harbor's own
        evaluation decides, for each repository the rule's repository pattern suggests,
        on both glob releases.
        """
        rule = self.rule
        hits: dict[str, str] = {}  # glob version -> a repository where the rule selects
        for version in glob.VERSIONS:
            for name in _repository_probes(rule):
                repository = f"{self.project or 'project'}/{name}"
                if evaluate((rule,), repository, SIGNATURE_TAG, version).immutable:
                    hits[version] = name
                    break
        if not hits:
            return
        name = hits.get(self.version) or next(iter(hits.values()))
        only = ""
        if len(hits) < len(glob.VERSIONS):
            only = f" on {OLD_HARBOR if glob.V1_1_1 in hits else NEW_HARBOR}"
        tag = rule.tag_selector
        assert tag is not None  # a rule without one never matches
        self.add(
            Level.WARNING,
            "signature-tags-immutable",
            f"rule {rule.id} makes cosign signature tags such as 'sha256-<digest>.sig' "
            f"immutable (e.g. in repository {name!r}){only}: signing an image a second time "
            "pushes that tag again, and Harbor refuses it with 412 (goharbor/harbor#17332). "
            f"{_signature_fix(tag)}, or sign through the OCI referrers API (cosign "
            "--registry-referrers-mode=oci-1-1), whose pushes by digest Harbor v2.8 and later "
            "never checks",
            "tag",
            tag.pattern,
            SIGNATURE_TAG,
        )

    # -- one selector -------------------------------------------------------------------

    def fails_open(self, slot: str) -> str:
        if slot == REPOSITORY_SCOPE:
            text = "the error makes every tag of such repositories mutable (Harbor fails open)"
        else:
            text = "the error makes such tags mutable (Harbor fails open)"
        if self.later:
            rules = ", ".join(map(str, self.later))
            text += f" and stops the evaluation, so later rule(s) {rules} never apply to them"
        return text

    def selector(self, slot: str, spec: SelectorSpec) -> None:
        where = f"rule {self.rule.id} {slot} selector"
        if not spec.kind or not spec.decoration:
            missing = "kind" if not spec.kind else "decoration"
            self.add(
                Level.ERROR,
                "bad-selector",
                f"{where} has no {missing}, which Harbor refuses; {self.fails_open(slot)}",
                slot,
                spec.pattern,
            )
            return
        if spec.kind != DOUBLESTAR:
            self.add(
                Level.ERROR,
                "unsupported-kind",
                f"{where} is of kind {spec.kind!r}, which Harbor's matcher does not know "
                f"(only 'doublestar'); {self.fails_open(slot)}",
                slot,
                spec.pattern,
            )
            return
        if spec.decoration not in DECORATIONS:
            usable = (
                "repoMatches or repoExcludes" if slot == REPOSITORY_SCOPE else "matches or excludes"
            )
            self.add(
                Level.ERROR,
                "unknown-decoration",
                f"{where} has decoration {spec.decoration!r}, which Harbor does not support "
                f"(use {usable}); {self.fails_open(slot)}",
                slot,
                spec.pattern,
            )
            return
        if spec.decoration in NAMESPACE_DECORATIONS:
            self.add(
                Level.WARNING,
                "namespace-decoration",
                f"{where} uses {spec.decoration}, which never selects anything in immutability "
                "rules (Harbor leaves the namespace empty), so the rule never matches",
                slot,
                spec.pattern,
            )
            return
        tests = "tag" if spec.decoration in TAG_DECORATIONS else REPOSITORY_SCOPE
        if tests != slot:
            self.add(
                Level.WARNING,
                "decoration-slot",
                f"{where} uses {spec.decoration}, which tests the {tests}, not the {slot}",
                slot,
                spec.pattern,
            )
        if spec.pattern:
            self.pattern(f"{where} {quoted(spec.pattern)}", slot, tests, spec.pattern)
        elif spec.decoration in (EXCLUDES, REPO_EXCLUDES):
            self.add(
                Level.WARNING,
                "empty-exclude",
                f"{where} excludes '', which Harbor reads as everything: the rule never matches",
                slot,
                "",
            )
        else:
            self.add(
                Level.INFO,
                "matches-all",
                f"{where} has an empty pattern, which Harbor reads as matching every {tests}",
                slot,
                "",
            )

    # -- one pattern --------------------------------------------------------------------

    def pattern(self, where: str, slot: str, tests: str, pattern: str) -> None:
        def add(level: Level, code: str, message: str, example: str | None = None) -> None:
            self.add(level, code, f"{where}: {message}", slot, pattern, example)

        try:
            verdicts = {v: _outcomes(pattern, tests, v) for v in glob.VERSIONS}
        except PatternTooComplexError:
            add(Level.ERROR, "too-complex", "nests too deeply for tagguard to evaluate exactly")
            return
        problems = syntax_problems(pattern, self.version)
        erring = _erring_names(verdicts, self.version)
        if erring:
            cause = f" ({'; '.join(problems)})" if problems else ""
            add(
                Level.ERROR,
                "pattern-error",
                f"is malformed{cause}; Harbor errors whenever matching reaches that part "
                f"(e.g. for {tests} {erring[0]!r}); {self.fails_open(slot)}",
                erring[0],
            )
        elif problems:
            add(
                Level.WARNING,
                "dead-pattern-part",
                f"is malformed ({'; '.join(problems)}), but the error never surfaces "
                "(doublestar ignores errors while trying a '*' or '**'), so that part "
                "silently never matches",
            )
        for level, code, message in _style_findings(pattern, tests, self.project):
            add(level, code, message)
        differs = _first_difference(verdicts)
        if differs is not None:
            name, old, new = differs
            add(
                Level.WARNING,
                "version-dependent",
                f"{tests} {name!r} {_say(old)} on {OLD_HARBOR} but {_say(new)} on {NEW_HARBOR}",
                name,
            )
        intended = intended_names(pattern, tests)
        quirk = next((n for n in intended if verdicts[self.version].get(n) == "no-match"), None)
        if quirk is not None and not erring:
            if _globstar_in_braces(pattern):
                # Inside braces '**' is a globstar only where it ends up as a whole segment
                # after the alternative is spliced in; at an option's start it acts as '*'.
                add(
                    Level.WARNING,
                    "globstar-in-braces",
                    f"'**' inside '{{...}}' is not a globstar here, so {tests} {quirk!r} does "
                    "not match; move the '**/' in front of the braces",
                    quirk,
                )
            else:
                add(
                    Level.WARNING,
                    "quirk",
                    f"does not match {tests} {quirk!r}, although the pattern reads as if it should",
                    quirk,
                )


_NEVER = ", so it never makes any tag immutable"


def _class_member(char: str) -> str:
    # A leading '-' in a class is an error in doublestar; escaped it is a member.
    return "\\" + char if char in "-^]\\" else char


# A tag as cosign names a signature: `sha256-<hex of the signed digest>.sig`
# (state.cosign_subject reads it back, as Harbor's cosign middleware does).
SIGNATURE_PREFIX = "sha256-"
SIGNATURE_TAG = SIGNATURE_PREFIX + "0123456789abcdef" * 4 + ".sig"
# Every tag that does not start with 'sha256-', as one doublestar pattern: the prefixes of
# it, and every way of leaving it. Tags hold no '/', and the braces hold none either, so
# both releases read it alike (tests check it by brute force).
ALL_BUT_SIGNATURES = (
    "{"
    + ",".join(
        alternative
        for i in range(len(SIGNATURE_PREFIX))
        for alternative in (
            *((SIGNATURE_PREFIX[:i],) if i else ()),
            f"{SIGNATURE_PREFIX[:i]}[^{_class_member(SIGNATURE_PREFIX[i])}]*",
        )
    )
    + "}"
)


def _repository_probes(rule: Rule) -> list[str]:
    """Repositories to try the rule in, everyday names first (they make the best example)."""
    spec = rule.repository_selector
    names = probe_names(spec.pattern if spec else "", REPOSITORY_SCOPE)
    common = {name: rank for rank, name in enumerate(COMMON_REPOSITORIES)}
    return sorted(names, key=lambda name: common.get(name, len(common)))


def _signature_fix(tag: SelectorSpec) -> str:
    """The tag pattern that keeps the rule's meaning but leaves signature tags out.

    An `excludes` selector cannot be added (Harbor reads only the first tag selector), so
    the fix is the pattern itself, verified with the matcher on both releases.
    """
    pattern = tag.pattern
    if tag.decoration == MATCHES and set(pattern) <= {"*"}:
        return f"Replace the tag pattern {quoted(pattern)} with '{ALL_BUT_SIGNATURES}' (every tag but those)"
    if tag.decoration == EXCLUDES:
        widened = "{" + pattern + "," + SIGNATURE_PREFIX + "*}"
        if _same_but_signatures(pattern, widened):
            return f"Exclude them too: tag pattern '{widened}'"
    return (
        f"Narrow the tag pattern {quoted(pattern)} so that it cannot match 'sha256-<hex>.sig' "
        "(e.g. start it with the prefix your release tags share, such as 'v')"
    )


def _same_but_signatures(pattern: str, widened: str) -> bool:
    """Does `widened` answer as `pattern` does for every probe but signature tags, which
    it must match, on both releases, without errors?"""
    names = [n for n in probe_names(pattern, "tag") if not n.startswith(SIGNATURE_PREFIX)]
    try:
        return all(
            glob.harbor_match(widened, SIGNATURE_TAG, v)
            and all(
                glob.harbor_match(widened, n, v) == glob.harbor_match(pattern, n, v) for n in names
            )
            for v in glob.VERSIONS
        )
    except PatternError:
        return False


def _merge_hint(selectors: Sequence[SelectorSpec], version: str) -> str:
    decorations = {s.decoration for s in selectors}
    if len(decorations) != 1 or not all(s.pattern for s in selectors):
        return "split them into separate rules"
    merged = "{" + ",".join(s.pattern for s in selectors) + "}"
    if version == glob.V1_1_1 and "/" in merged:
        return "split them into separate rules: on this Harbor braces cannot hold '/'"
    return f"merge them into one pattern such as {quoted(merged)}, or split them into rules"


def _style_findings(pattern: str, tests: str, project: str | None) -> list[tuple[Level, str, str]]:
    """Readings of a pattern that are valid glob but almost never what was meant."""
    out: list[tuple[Level, str, str]] = []
    if "[!" in pattern:
        out.append(
            (
                Level.WARNING,
                "bang-class",
                "'[!...]' is not negation in Harbor: '!' is just a member; write '[^...]'",
            )
        )
    if _comma_outside_braces(pattern):
        suggestion = "{" + ",".join(part.strip() for part in pattern.split(",")) + "}"
        out.append(
            (
                Level.WARNING,
                "comma-without-braces",
                f"a ',' outside '{{...}}' is a literal comma; for alternatives: {suggestion!r}",
            )
        )
    if _space_in_braces(pattern):
        out.append(
            (
                Level.WARNING,
                "space-in-braces",
                "white space inside '{...}' is literal, and no name contains it: remove it",
            )
        )
    if tests == "tag" and _literal_slash(pattern):
        out.append(
            (
                Level.WARNING,
                "slash-in-tag-pattern",
                "tags never contain '/', so the part after it can never match",
            )
        )
    if tests == REPOSITORY_SCOPE and project and pattern.startswith(project + "/"):
        rest = pattern[len(project) + 1 :]
        out.append(
            (
                Level.WARNING,
                "project-in-pattern",
                "Harbor matches repositories without their project, so this only matches "
                f"repositories named {project}/{project}/...; write {rest!r}",
            )
        )
    return out


def _say(outcome: str) -> str:
    return {"match": "matches", "no-match": "does not match", "error": "is an error (fails open)"}[
        outcome
    ]


def _outcomes(pattern: str, tests: str, version: str) -> dict[str, str]:
    """Harbor's answer for each probe: the pattern's intended names and near misses, and
    names walked into each malformed part (so a lazy error any name reaches is seen)."""
    results: dict[str, str] = {}
    for name in dict.fromkeys(probe_names(pattern, tests) + error_probes(pattern, tests)):
        try:
            results[name] = "match" if glob.harbor_match(pattern, name, version) else "no-match"
        except PatternError:
            results[name] = "error"
    return results


def _erring_names(verdicts: dict[str, dict[str, str]], version: str) -> list[str]:
    """Names that make the pattern error on `version`, best example first: one that errs
    on every release, then an everyday name ('latest' reads faster than 'x1x'), then the
    shortest."""
    erring = [name for name, outcome in verdicts[version].items() if outcome == "error"]
    common = COMMON_TAGS + COMMON_REPOSITORIES
    return sorted(
        erring,
        key=lambda name: (
            any(v.get(name) != "error" for v in verdicts.values()),
            name not in common,
            len(name),
        ),
    )


def _first_difference(verdicts: dict[str, dict[str, str]]) -> tuple[str, str, str] | None:
    old, new = verdicts[glob.V1_1_1], verdicts[glob.V1_3_4]
    for name, outcome in new.items():
        if old.get(name, outcome) != outcome:
            return name, old[name], outcome
    return None


# ----------------------------------------------------------------------------- syntax


def syntax_problems(pattern: str, version: str) -> list[str]:
    """Describes the malformed parts of a pattern, each with its 1-based column."""
    problems: list[str] = []
    if version == glob.V1_1_1:
        problems.extend(_slash_in_braces(pattern))
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= len(pattern):
                problems.append(f"the '\\' at column {i + 1} escapes nothing")
            i += 2
            continue
        if ch == "[":
            end = _find_unescaped(pattern, "]", i + 1)
            if end == -1:
                problems.append(f"the '[' at column {i + 1} is never closed")
                break
            problem = _class_problem(pattern[i + 1 : end])
            if problem:
                problems.append(f"the class at column {i + 1} {problem}")
            i = end + 1
            continue
        if ch == "{" and glob.brace_group(pattern, i) is None:
            problems.append(f"the '{{' at column {i + 1} is never closed")
        i += 1
    return problems


def _find_unescaped(text: str, target: str, start: int) -> int:
    i = text.find(target, start)
    while i > 0 and text[i - 1] == "\\":
        i = text.find(target, i + 1)
    return i


def _class_problem(body: str) -> str | None:
    if not body:
        return "is empty ('[]')"
    try:
        glob.doublestar_match(f"[{body}]", "a", glob.V1_3_4)
    except PatternError:
        if body.startswith("-") or body.startswith("^-"):
            return "starts with '-'"
        if body.endswith("-"):
            return "ends with '-'"
        if body.endswith("\\"):
            return "ends with '\\'"
        return "has a malformed range such as 'a-b-c'"
    return None


def _slash_in_braces(pattern: str) -> list[str]:
    return [
        f"this Harbor cuts the pattern at every '/' before reading braces, so the '{{' at "
        f"column {start + 1} is never closed"
        for start, end in glob.brace_spans(pattern)
        if end < len(pattern) and "/" in pattern[start:end]  # unclosed ones are named anyway
    ]


def _globstar_in_braces(pattern: str) -> bool:
    return any("**" in pattern[s:e] for s, e in glob.brace_spans(pattern))


def _space_in_braces(pattern: str) -> bool:
    return any(re.search(r"\s", pattern[s:e]) for s, e in glob.brace_spans(pattern))


def _comma_outside_braces(pattern: str) -> bool:
    inside = {i for s, e in glob.brace_spans(pattern) for i in range(s, e + 1)}
    return any(
        ch == "," and i not in inside and (i == 0 or pattern[i - 1] != "\\")
        for i, ch in enumerate(pattern)
    )


def _literal_slash(pattern: str) -> bool:
    return any(ch == "/" and (i == 0 or pattern[i - 1] != "\\") for i, ch in enumerate(pattern))


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.level is Level.ERROR for f in findings)
