"""What a secret value looks like, and what stands in for one: entropy, placeholders,
names and prose, the random part of a token. Shared by the shape rules and the matcher."""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character (gitleaks' measure)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\{?|<|%|\*+$|(?:true|false|null|none|undefined|changeme|example|redacted)$)"
    r"|x{4,}|\*{3,}|#{4,}|your[_-]|[_-]here\b|\s\$\{?[A-Za-z_]",
    re.IGNORECASE,
)
_CODE = re.compile(r"[\w.$]*[(\[]|[A-Za-z_$]+\d*(?:\??\.[A-Za-z_$]+)+")
"""Code, not a value: a call or an index (``get_token(s)``, ``os.environ[``) or a dotted name
(``self.token``, ``settings.SECRET_KEY``, ``X25519.secret_length``) at the start."""
_BRACKET = re.compile(r"[()\[\]]")
_URL = re.compile(r"[A-Za-z][\w+.:-]*://[^@\s]*")
"""A URL without user information (``https://login.example.com/oauth2/token``)."""
_JOINED = re.compile(r"[:|?]")
"""Parts joined (``user:group``, ``a|b``, ``x?y``): a value of parts, not one token, unless one
part looks like a password (``deploy-bot:<token>``, ``kevin:pRf7vG2h…``)."""


def _password_like(part: str) -> bool:
    """Eight or more characters mixing letters with digits or symbols, not one word."""
    return (
        len(part) >= 8
        and any(c.isalpha() for c in part)
        and not part.isalpha()
        and not _WORDS_ONLY.fullmatch(part)
    )


_WORDS_ONLY = re.compile(r"[A-Za-z_.-]+")
_PROSE = re.compile(r"[A-Za-z][\w,.'!?:-]*(?: [\w,.'!?:-]+)+")
"""Words and spaces (a quoted message such as ``"token has expired, log in again"``)."""
_NAME_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
"""``AUTH_MICROSOFT_ENTRA_ID_SECRET``: the name of a variable that holds the secret."""
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)^(?:pass(?:word|wd)?|secret|token|pwd|user(?:name)?|test|dummy|fake|example|foo|bar"
    r"|changeme|redacted|hunter2|\*+)\d*$"
)


_STAND_IN = re.compile(
    r"\$(?:[A-Za-z_]\w*|\d|[{(].*)|%(?:s|\(\w+\)s?|\w+%)|<.*|\{.*|\*+|\[REDACTED.*", re.DOTALL
)


def stand_in(value: str) -> bool:
    """Whether a value in a request's credential place stands in for one: a variable or an
    expression (``$PASS``, a script's ``$2``, ``${PASS}``, ``${{ secrets.X }}``, ``$(cat f)``,
    ``%s``, ``%PASSWORD%``), a placeholder or template (``<token>``, ``{password}``), the
    runner's mask (``***``) or a marker of ours. The regexes cut a value at a space or a quote,
    so only its start is seen."""
    return _STAND_IN.fullmatch(value) is not None


def plausible_secret(value: str) -> bool:
    """Whether a value assigned to a secret-named key (or a URL's password) could be a real
    secret rather than code, a placeholder or a name: ``get_token(s)``, ``${{ secrets.X }}``,
    ``PASSWORD``, ``AuthType``, ``authenticated_index``, ``AUTH_CLIENT_SECRET`` are not. A
    value of letters only is a name unless it is long and random-looking (high entropy). Code,
    a constant's name or a URL with a token's random run in it is a value after all
    (``pk.eyJ1…``, ``tkn.v1_…``, ``API_KEYN2B1NFN5…``)."""
    if _PLACEHOLDER.search(value) or _PLACEHOLDER_WORDS.match(value) or placeholder(value):
        return False
    if _PROSE.fullmatch(value):
        return False
    if (
        _CODE.match(value)
        or _BRACKET.search(value)
        or _CONSTANT.fullmatch(value)
        or _URL.fullmatch(value)
    ) and not random_token(value):
        return False
    if _JOINED.search(value) and not any(map(_password_like, _JOINED.split(value))):
        return False
    if not _WORDS_ONLY.fullmatch(value):
        return True
    return len(value) >= 20 and entropy(value) >= 3.5 and not identifier(value)


def identifier(value: str) -> bool:
    """Letters that read as words (``AdapterAuthenticator``, ``refresh_token_expires``): every
    camel-case or separated part has three letters or more. A random string of letters breaks
    into many one- and two-letter parts."""
    parts = _NAME_PART.findall(value)
    return bool(parts) and all(len(part) >= 3 for part in parts)


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")


def not_a_word(value: str) -> bool:
    """Not one word (``Authorization: not required``): a credential after a scheme this module
    does not know."""
    return not _WORD.fullmatch(value)


RANDOM_RUN = re.compile(r"[A-Za-z0-9]{16,}")


def random_token(value: str) -> bool:
    """A token's random part: a run of 16 or more letters and digits, holding both, with
    the entropy of random text and not a name (``manylinux2014``, ``test_parse_config_2``)."""
    for run in RANDOM_RUN.findall(value):
        if (
            any(c.isdigit() for c in run)
            and any(c.isalpha() for c in run)
            and entropy(run) >= 3.5
            and not identifier(run)
        ):
            return True
    return False


_MARKED = re.compile(r"(?i)x{5,}|\*{3,}|#{4,}|\.{3}|…|example|placeholder|dummy|fake")
"""Marks of a documentation or test value: ``xxxxx``, ``***``, ``####``, ``...``,
``EXAMPLE`` (AWS's documented keys end so), ``fake``, ``dummy``."""
_PATTERNED = 8
"""Letters and digits needed before their pattern says anything."""


def placeholder(value: str) -> bool:
    """A value that is not a generated secret: marked as a stand-in (:data:`_MARKED`), or with
    less randomness in its letters and digits than any generator leaves: one character for
    half of them (``AKIAZZZZZZZZZZZZZZZZ``, ``glc_1111…``), a short chunk repeated so that at
    most half of its three-character pieces differ (``abcd1234abcd1234…``, ``GR13489411231231…``),
    or counting (``abcdefghij…``, ``12345``): half of the neighbours one code point apart.
    A random token of 8 or more characters meets none of these but by a vanishing chance."""
    if _MARKED.search(value):
        return True
    chars = "".join(c for c in value if c.isalnum())
    if len(chars) < _PATTERNED:
        return False
    if max(Counter(chars).values()) * 2 >= len(chars):
        return True
    pieces = [chars[i : i + 3] for i in range(len(chars) - 2)]
    if len(set(pieces)) * 2 <= len(pieces):
        return True
    steps = sum(ord(b) - ord(a) == 1 for a, b in pairwise(chars))
    return steps * 2 >= len(chars) - 1
