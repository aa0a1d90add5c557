"""One credential shape (:class:`Rule`) and one gitleaks allow list (:class:`Allow`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Allow:
    """One gitleaks allow list: a match it covers is not a secret. ``target`` says what the
    regexes test: the secret, the whole match or the line."""

    both: bool
    target: str
    regexes: tuple[re.Pattern[str], ...]
    stopwords: tuple[str, ...]
    paths: tuple[re.Pattern[str], ...]

    def covers(self, secret: str, match: str, line: str, path: str | None) -> bool:
        subject = {"match": match, "line": line}.get(self.target, secret)
        checks: list[bool] = []
        if self.regexes:
            checks.append(any(r.search(subject) for r in self.regexes))
        if self.stopwords:
            lowered = secret.lower()
            checks.append(any(word in lowered for word in self.stopwords))
        if self.paths:
            checks.append(path is not None and any(p.search(path) for p in self.paths))
        return bool(checks) and (all(checks) if self.both else any(checks))


@cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Rules are compiled when their keywords first occur: compiling all ~220 up front would
    add a fifth of a second to every run's start, and most never meet their keywords."""
    return re.compile(pattern)


@dataclass(frozen=True)
class Rule:
    """One credential shape. ``group`` names the secret's capture group (0: the first group
    that matched, or the whole match when the regex has none, as gitleaks does)."""

    kind: str
    pattern: str
    keywords: tuple[str, ...]
    group: int | str = 0
    entropy: float = 0.0
    path: re.Pattern[str] | None = None
    allows: tuple[Allow, ...] = ()
    plausible: bool = False
    """Check the value with :func:`plausible_secret` (rules that match any assignment)."""
    request: bool = False
    """A credential in a request (a header, a URL's password, a client's password option):
    the place says what it is, so redaction takes any value but a stand-in (:func:`stand_in`),
    however short or word-like (``redis://:pw@h``, ``mysql -pPASS``); as a finding it must
    also be :func:`plausible_secret` (``PGPASSWORD=postgres`` in a test workflow is no news
    to a reviewer)."""
    anchored: bool = False
    """Every match starts with one of the keywords: the regex is tried only where they occur
    (a leading alternation tried at every character of a large text is the slow part)."""
    redaction_only: bool = False
    """Too loose to report as a finding, right to redact: a spare ``[REDACTED]`` costs a model
    little, a false critical finding costs a reviewer's trust. A rule without keywords is
    tried on every text."""
    gate: str = ""
    """A regex for what every match holds (a long run of one class): a line without it is
    not tried (redaction-only rules are tried on the lines that hold their keywords)."""
    check: Callable[[str], bool] | None = None
    """A test the secret must pass beyond the regex (the shape of a random token)."""
    cased: tuple[str, ...] = ()
    """The keywords as the pattern spells them, when it does not ignore case: a keyword found
    in the lower-cased text counts only where the text has this case (``AP``, not ``ap``)."""
    reach: str = ""
    """For an anchored rule whose tries run on from their keyword (to the end of the line or
    the command): a regex matched where the pattern failed, whose match spans the later
    keywords that can only fail too, each trying a subset of the places this try did (the
    rest of the pattern depends on the position alone). They are skipped: a line of one
    keyword repeated cost one scan to its end per keyword, quadratic."""
    seed: re.Pattern[str] | None = None
    """For a rule without keywords: what every match holds, found first by a fast scan that
    ``check`` also passes; the regex is tried only around such seeds."""

    @property
    def regex(self) -> re.Pattern[str]:
        return compile_pattern(self.pattern)

    def secret_span(self, match: re.Match[str]) -> tuple[int, int]:
        if self.group:
            return match.span(self.group)
        for index in range(1, (match.re.groups or 0) + 1):
            if match.group(index):
                return match.span(index)
        return match.span()
