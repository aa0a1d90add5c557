"""Code that names a value where a secret's value goes: a variable of lower-case words
passed as an argument, Go's address or pointer of a name, Ruby's instance variable, a
template's variable, a name a package exports. Kept apart from :mod:`values` (what a value
looks like) because these read the syntax around the value."""

from __future__ import annotations

import re

from cicd_agent.analysis.secrets.values import NAME_PART, identifier, plausible_secret

_CODE_NAME = re.compile(r"[a-z]{3,}\d{0,3}(?:_[a-z]{3,}\d{0,3})+")


def code_name(value: str) -> bool:
    """A variable's name of lower-case words, each maybe with a short number
    (``HTTP_AUTHORIZATION=token1_header``, a test's keyword argument): code, not a token."""
    return _CODE_NAME.fullmatch(value) is not None


_REFERENCE = re.compile(r"(&|\*|@@?)([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(\{.*)?")
_CAMEL_WORDS = re.compile(r"[A-Z]?[a-z]{2,}")
_TEMPLATE_NAME = re.compile(r"@[A-Z]{2,}\d?(?:_[A-Z]{2,}\d?)*")
"""A template's variable (``aws_secret_key: @SECRET_KEY``, ``ansible_password=@PASSWORD``):
words in capitals, each maybe with one digit (``@ESXI1_PASSWORD``), filled in before use."""


def code_reference(value: str, after: str) -> bool:
    """A value that is code naming a value, not one: a sigil, then a name of words
    (``&config.BasicAuth{``, ``*clientSecret,``, ``@user.token``): a qualified name, an instance
    variable of lower-case words, or a camel-case name of two words or more. A password starting
    with a sigil is one word with digits (``@Summer2024``), capitalised words
    (``*ProdDbSecret,``) or random, and goes."""
    if _TEMPLATE_NAME.fullmatch(value):
        return True
    match = _REFERENCE.fullmatch(value)
    if match is None:
        return False
    parts = match.group(2).split(".")
    sigil, first = match.group(1), parts[0]
    if not all(_wordy(part) for part in parts):
        return False
    if len(parts) > 1:
        return first[:1].islower()
    if sigil.startswith("@"):
        return code_name(first)
    if len(_CAMEL_WORDS.findall(first)) < 2:
        return False
    if match.group(3) is not None or after[:1] == "{":
        return sigil == "&"
    ended = after[:1] in (",", ")", ";", "\n", "")
    return ended and _LOWER_CAMEL.fullmatch(first) is not None


_LOWER_CAMEL = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)+")
"""A Go variable's name (``clientSecret``, ``sasToken``): lower-case first word, then
capitalised ones. An exported name after ``*`` or ``&`` is read only as a composite literal's
type (``&OAuthConfig{``); ``*ProdDbSecret,`` is a password of words."""


def _wordy(name: str) -> bool:
    """A name of words, maybe with a short number at its end (``OAuth2``): :func:`identifier`,
    or capitalised words holding three quarters of its letters (``OAuth``: ``O`` an initial)."""
    name = re.sub(r"\d{1,2}$", "", name)
    if not name or any(c.isdigit() for c in name):
        return False
    words = _CAMEL_WORDS.findall(name)
    letters = sum(c.isalpha() for c in name)
    return identifier(name) or (bool(words) and 4 * sum(map(len, words)) >= 3 * letters)


_QUALIFIED = re.compile(r"[a-z][a-z0-9_]{2,}\.([A-Z][A-Za-z0-9]+)")


def qualified_name(value: str) -> bool:
    """A name a package exports, read where code calls it (``storage.AppenderV2AsLimitedV1``,
    ``authority.WithX509SignerFunc``): a lower-case package, a dot, then capitalised words with a
    few digits holding three quarters of its letters. A random part breaks into short pieces."""
    match = _QUALIFIED.fullmatch(value)
    if match is None:
        return False
    name = match.group(1)
    letters = sum(c.isalpha() for c in name)
    words = [w for w in NAME_PART.findall(name) if len(w) >= 3 and w[1:].islower()]
    digits = sum(c.isdigit() for c in name)
    return len(words) >= 2 and 4 * sum(map(len, words)) >= 3 * letters and digits <= 4


_ASSIGNMENT = re.compile(r"[a-z][a-z0-9_]*=(.+)")


def argument_list(value: str) -> bool:
    """A value that is itself ``name=value`` with a word, number or stand-in after it (an Ansible
    task's ``user=root key=…``, ``mode=0600``): arguments, not the key's secret. A secret among
    them is still matched by its own name, and a random value after any name stays one."""
    match = _ASSIGNMENT.fullmatch(value)
    return match is not None and (match[1].isdigit() or not plausible_secret(match[1]))
