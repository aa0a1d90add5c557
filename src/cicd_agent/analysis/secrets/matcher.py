"""Finding secrets of a known shape in text: one keyword pass, then only the rules whose
keywords occur, each match checked against placeholders, entropy and allow lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import ahocorasick_rs

from cicd_agent.analysis.secrets.code_names import argument_list, code_name, code_reference
from cicd_agent.analysis.secrets.loading import rule_set
from cicd_agent.analysis.secrets.request import REQUEST_CREDENTIALS, public_digest, regex_syntax
from cicd_agent.analysis.secrets.rule import Rule, compile_pattern
from cicd_agent.analysis.secrets.shapes import PRIVATE_KEY, empty_key_block
from cicd_agent.analysis.secrets.values import (
    entropy,
    example_credential,
    identifier,
    names_its_key,
    passphrase,
    placeholder,
    plausible_secret,
    stand_in,
)

_SURROGATE = re.compile("[\ud800-\udfff]")


_WINDOW = 1 << 20
"""Characters given to the automaton at once: ``find_matches_as_indexes`` keeps about eight
bytes per character to map its offsets back."""


def keywords(
    automaton: ahocorasick_rs.AhoCorasick, text: str, longest: int
) -> list[tuple[int, int, int]]:
    """Every (pattern, start, end) ``automaton`` finds in ``text``, overlapping, by end then start
    (``longest``: the longest pattern's length).

    The automaton reads UTF-8, which a lone surrogate (a non-UTF-8 byte kept by
    ``surrogateescape``) cannot be, so such text is matched with each as U+FFFD, one character
    for one, keeping ``text``'s offsets. Long text is read in overlapping windows, so memory does
    not grow with it."""
    if len(text) <= _WINDOW:
        return _keywords_in(automaton, text)
    step = _WINDOW - max(longest - 1, 0)
    found: list[tuple[int, int, int]] = []
    for start in range(0, len(text), step):
        window = text[start : start + _WINDOW]
        found += [
            (pattern, begin + start, end + start)
            for pattern, begin, end in _keywords_in(automaton, window)
            if begin < step or start + _WINDOW >= len(text)
        ]
        if start + _WINDOW >= len(text):
            break
    found.sort(key=lambda match: (match[2], match[1]))
    return found


def _keywords_in(automaton: ahocorasick_rs.AhoCorasick, text: str) -> list[tuple[int, int, int]]:
    try:
        return automaton.find_matches_as_indexes(text, overlapping=True)
    except UnicodeEncodeError:
        return automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), overlapping=True)


@dataclass(frozen=True)
class SecretHit:
    """A secret found in text: what kind, and where (character offsets of the secret itself)."""

    kind: str
    start: int
    end: int


def find_secrets(
    text: str, path: str | None = None, *, all_rules: bool = False, broad: bool = False
) -> list[SecretHit]:
    """Secrets of a known shape in ``text``, in order, overlapping hits made one span (named by
    the earliest, longest, then a vendor's rule). ``path`` enables gitleaks' rules for some files
    only (Terraform, nuget.config…), tried without it only with ``all_rules``. ``broad`` adds the
    redaction-only rules and takes any value but a stand-in in a request's credential place:
    redaction wants every likely secret gone, a finding wants to be right."""
    rules = rule_set()
    found: dict[int, list[int]] = {}
    for keyword, start, _ in keywords(rules.automaton, text.lower(), rules.longest):
        found.setdefault(keyword, []).append(start)
    starts: dict[int, list[int]] = {number: [] for number in rules.always} if broad else {}
    for keyword, at in found.items():
        for number in rules.by_keyword[keyword]:
            starts.setdefault(number, []).extend(at)
    for number, at in starts.items():
        cased = rules.rules[number].cased
        if cased:
            starts[number] = [start for start in at if text.startswith(cased, start)]
    hits: list[tuple[SecretHit, bool]] = []
    for number in sorted(starts):
        rule = rules.rules[number]
        if rule.cased and not starts[number]:
            continue
        if rule.path is not None and not all_rules and (path is None or not rule.path.search(path)):
            continue
        if rule.redaction_only and not broad:
            continue
        for match in _matches(rule, text, starts[number]):
            start, end = rule.secret_span(match)
            if start < 0 or _allowed(rule, text, match, (start, end), path=path, broad=broad):
                continue
            hits.append((SecretHit(rule.kind, start, end), rule.plausible))
    # At one span a rule that names the value's vendor names it, not one that takes any value
    # assigned to a secret's name: an AWS secret key is one whatever the language's syntax
    # around it (Rust's ``const AWS_SECRET: &str = "…"`` only the AWS rule matches).
    hits.sort(key=lambda found: (found[0].start, -found[0].end, found[1]))
    kept: list[SecretHit] = []
    for hit, _ in hits:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
        elif hit.end > kept[-1].end:  # overlapping: one span over both, so neither leaks
            kept[-1] = SecretHit(kept[-1].kind, kept[-1].start, hit.end)
    return kept


def _matches(rule: Rule, text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    if rule.seed is not None:
        yield from _seeded(rule, rule.seed, text)
        return
    if rule.redaction_only and starts and not rule.anchored:
        run = compile_pattern(rule.gate) if rule.gate else None
        for start, end in _lines_at(text, starts):
            if run is None or run.search(text, start, end):
                yield from rule.regex.finditer(text, start, end)
        return
    if not rule.anchored:
        yield from rule.regex.finditer(text)
        return
    reach = compile_pattern(rule.reach) if rule.reach else None
    position = 0
    for start in sorted(set(starts)):
        if start < position:
            continue
        match = rule.regex.match(text, start)
        if match is not None:
            position = match.end()
            yield match
        elif reach is not None and (region := reach.match(text, start)) is not None:
            position = region.end()


_SEED_REACH = 64
"""How far before its random part a prefixed token may start (prefix and separators)."""


def _seeded(rule: Rule, seed: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of ``rule`` around the seeds that pass its check: one C-speed scan for runs of
    random-looking characters, then the full regex only near the few that qualify (tried at
    every character of a large log, the full regex dominates the scan)."""
    position = 0
    for found in seed.finditer(text):
        if found.end() <= position or (rule.check is not None and not rule.check(found.group())):
            continue
        start = max(position, found.start() - _SEED_REACH)
        for match in rule.regex.finditer(text, start, min(len(text), found.end() + 4096)):
            if match.start() > found.start():
                break
            if match.end() >= found.end():
                position = match.end()
                yield match
                break


def _lines_at(text: str, starts: list[int]) -> Iterator[tuple[int, int]]:
    """The lines that hold these offsets, once each: detect-secrets' patterns were written
    for one line at a time, and some (a chain of optional groups after a look-behind) cost
    a tenth of a second per megabyte when tried at every character of a text."""
    end = -1
    for start in sorted(starts):
        if start <= end:
            continue
        first = text.rfind("\n", 0, start) + 1
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield first, end


_KEEP_PLACEHOLDERS = frozenset(map(id, (PRIVATE_KEY, *REQUEST_CREDENTIALS)))
"""Rules whose place says the value is a credential: a key block, a request's password or
header (whose stand-ins, ``$PASS`` or ``<token>``, have their own test)."""


def _example(rule: Rule, text: str, match: re.Match[str], span: tuple[int, int]) -> bool:
    """Whether a URL's password or a header's credential is a documentation example;
    a URL's user is what stands between ``://`` and ``:``."""
    if rule.kind == "password in URL":
        user = text[match.start() + len("://") : span[0] - 1]
        password = text[span[0] : span[1]]
        return example_credential(password, user) or regex_syntax(password)
    return rule.kind == "authorization header" and example_credential(text[span[0] : span[1]])


def _marked(rule: Rule, secret: str) -> bool:
    """Whether the secret carries its vendor's mark (``AKIA…``, ``ghp_…``): redaction takes it
    even when the rest is a placeholder or filler, and gitleaks' global allow list does not spare
    it. A redacted placeholder costs nothing, and such a prefix is rare in ordinary code; a
    finding still wants it real."""
    lowered = secret.lower()
    return not rule.plausible and any(keyword in lowered for keyword in rule.keywords)


_KEY_REACH = 128
"""How far before its keyword a key's name may start (the rule is anchored on the keyword:
``refresh_token`` is matched from ``token``)."""


def _key_of(text: str, match: re.Match[str], span: tuple[int, int]) -> str:
    """The whole key a value is assigned to: the name's characters before the keyword, then
    the match up to the value."""
    start = match.start()
    floor = max(0, start - _KEY_REACH)
    while start > floor and (text[start - 1].isalnum() or text[start - 1] in "_-.$"):
        start -= 1
    return text[start : span[0]]


_CODE_PLACES = frozenset({"assigned secret", "authorization header"})


def _argument(text: str, span: tuple[int, int]) -> bool:
    """Whether the value is a variable passed in code: lower-case words right after ``=`` or
    ``:`` and right before ``)`` or ``,`` (``HTTP_AUTHORIZATION=token1_header)``); unquoted and
    so ended, a secret would be a syntax error. The same name in a settings file or after a
    scheme still goes."""
    start, end = span
    return (
        text[end : end + 1] in (")", ",")
        and text[max(0, start - 8) : start].rstrip(" \t")[-1:] in ("=", ":")
        and code_name(text[start:end])
    )


_OBJECT_ID = re.compile(r"""(?<![\w-])["']?id["']?[ \t]*[:=][ \t]*["']?\Z""")
"""An object's ``id`` (``"id": "org-GExadygjSbKP8hsY"``, a Terraform Cloud organisation in a
recorded API answer): a name for a thing, which its API shows to anyone who may read it."""
_SECRET_PREFIX = re.compile(
    r"(?i)(?:[a-z0-9]+[_-])?(?:sk|rk|whsec|secret|token|key|pat|pass|auth)[_-]"
)
"""A prefix that says the value is a secret (Stripe's ``sk_live_``, ``rk_``, ``whsec_``; any
``secret-``, ``token_``): such a value under ``id`` is a secret put there, not an object's id."""


_CHAINED = re.compile(r"[ \t]*\r?\n[ \t]*\.[A-Za-z_]\w*[(<]")
"""A call on the next line (``= OAuth2AuthorizationContext`` then ``.withClientRegistration(``):
the value before it is the start of an expression, a builder's class of two words or more."""
_CAMEL_WORD = re.compile(r"[A-Z][a-z]{2,}")


def _reference(text: str, span: tuple[int, int]) -> bool:
    """Whether the value is code naming a value, unquoted."""
    start, end = span
    value = text[start:end]
    return text[start - 1 : start] not in ("'", '"', "`") and (
        code_reference(value, text[end : end + 1])
        or (
            identifier(value)
            and len(_CAMEL_WORD.findall(value)) >= 2
            and _CHAINED.match(text, end) is not None
        )
    )


_WORD_OR_FILE = re.compile(r"[a-z]+[,.;:]?|[\w.-]+\.[a-z]{2,4}")
"""What follows a hyphenated word ending in ``password`` in prose or a command: a word
(``vault-password files``) or a file's name (``vault-password format_1_1_AES256.yml``). Any
other value after it (``set vault-password Xk8pQ2vLm9w``) is the password."""


def _option(text: str, start: int) -> bool:
    """Whether the word that ends in ``pass``/``password`` at ``start`` is an option
    (``--password``, ``--db-password``, ``-pass``), not a hyphenated word
    (``vault-password format_1_1.yml``, a file's name; ``forgot-password pages``)."""
    begin = start
    while begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "_-"):
        begin -= 1
    return text[begin : begin + 1] == "-"


def _allowed(
    rule: Rule,
    text: str,
    match: re.Match[str],
    span: tuple[int, int],
    *,
    path: str | None,
    broad: bool = False,
) -> bool:
    """Whether a match is not a secret after all: a placeholder or code, too little entropy,
    or covered by the rule's or gitleaks' global allow lists."""
    secret = text[span[0] : span[1]]
    if empty_key_block(secret):
        return True
    if rule.kind in _CODE_PLACES and (_argument(text, span) or _reference(text, span)):
        return True
    if rule.kind == "authorization header" and public_digest(text[match.start() : span[0]], secret):
        return True
    if (
        rule.kind == "password option"
        and not rule.request
        and not _option(text, match.start())
        and _WORD_OR_FILE.fullmatch(secret)
    ):
        return True
    if (
        rule.kind == "prefixed token"
        and _OBJECT_ID.search(text, max(0, span[0] - 16), span[0])
        and not _SECRET_PREFIX.match(secret)
    ):
        return True
    if rule.request:  # our own rules, with their own test for stand-ins
        return (
            stand_in(secret)
            or _example(rule, text, match, span)
            or not (broad or plausible_secret(secret))
            or (rule.check is not None and not rule.check(secret))
        )
    if rule.kind == "assigned secret" and passphrase(_key_of(text, match, span), secret):
        return False
    if rule.plausible and not plausible_secret(secret, placeholders=broad):
        return True
    if rule.kind == "assigned secret" and names_its_key(_key_of(text, match, span), secret):
        return True
    if rule.kind == "assigned secret" and not broad and argument_list(secret):
        return True  # a finding wants to be right; redaction takes it all the same
    if rule.check is not None and not rule.check(secret):
        return True
    marked = broad and (rule.plausible or _marked(rule, secret))
    if id(rule) not in _KEEP_PLACEHOLDERS and not marked and placeholder(secret):
        return True  # a shape's own regex takes ``ghp_xxxx…`` and ``AKIAZZZZ…`` as well

    if (rule.entropy and not marked and entropy(secret) <= rule.entropy) or rule is PRIVATE_KEY:
        return rule is not PRIVATE_KEY
    line = ""
    if any(allow.target == "line" for allow in rule.allows):
        line_end = text.find("\n", match.end())
        line = text[text.rfind("\n", 0, match.start()) + 1 : line_end if line_end >= 0 else None]
    global_allow = not marked and rule_set().allow.covers(secret, match.group(), line, path)
    return global_allow or any(
        allow.covers(secret, match.group(), line, path) for allow in rule.allows
    )
