"""What a secret value looks like, and what stands in for one: entropy, placeholders,
names and prose, the random part of a token. Shared by the shape rules and the matcher."""

from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata
from collections import Counter
from itertools import pairwise
from urllib.parse import unquote


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character (gitleaks' measure)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\{?|<|%|\*+$|(?:true|false|null|none|undefined|changeme|example|redacted)$)"
    r"|x{4,}|\*{3,}|#{4,}|your[_-]|[_-]here\b|\s\$\{?[A-Za-z_]|%[sd]\b|%\(\w+\)|\{[{%]"
    r"|^\{[A-Za-z_][A-Za-z_ .-]*\}$",
    re.IGNORECASE,
)
_CODE = re.compile(r"[!+~-]*(?:[\w.$]*[(\[]|[A-Za-z_$]+\d*(?:\??\.[A-Za-z_$]+)+)|/\*")
"""Code, not a value: a call or an index (``get_token(s)``, ``os.environ[``) or a dotted name
(``self.token``, ``settings.SECRET_KEY``, ``X25519.secret_length``, ``!!config.withCredentials``)
at the start, or a comment (``/*#__PURE__*/``)."""
_NUMBERED_NAME = re.compile(r"(?P<name>[A-Za-z]+(?:_[A-Za-z]+)*)_?\$?\d{1,3}")
"""A name of two words or more with a short number after it (``defaultToConfig2``,
``CancelToken$1``, ``my_name_1``; not ``storagetest123``, which reads as a password)."""
_DOC_PATH = re.compile(r"(?:[\w.-]+/)+[\w.-]+\.(?:md|rst|txt|html?|py|js|ts|json|ya?ml)")
"""A path to a page or source file (``api-guide/authentication.md``)."""
_BRACKET = re.compile(r"[()\[\]]")
_URL = re.compile(r"[A-Za-z][\w+.:-]*://[^@\s]*")
"""A URL without user information (``https://login.example.com/oauth2/token``)."""
_JOINED = re.compile(r"[:|?]")
"""Parts joined (``user:group``, ``a|b``, ``x?y``): a value of parts, not one token, unless one
part looks like a password (``deploy-bot:<token>``, ``kevin:pRf7vG2h…``)."""


def _password_like(part: str) -> bool:
    """Eight or more characters mixing letters with digits or symbols, not one word; or twelve
    letters or more whose capitals fall where no dictionary word's do (``yqDVtkqPECriaLRi``)."""
    if part.isalpha() and len(part) >= 12:
        return not identifier(part) and _SCATTERED_CAPITALS.search(part) is not None
    return (
        len(part) >= 8
        and any(c.isalpha() for c in part)
        and not part.isalpha()
        and not _WORDS_ONLY.fullmatch(part)
    )


_SCATTERED_CAPITALS = re.compile(r"[a-z][A-Z]{2,}[a-z].*[A-Z]|[A-Z][a-z]{1,2}[A-Z].*[a-z][A-Z]")
"""Two runs of capitals inside lower-case letters (``yqDVtkqPECria``): a random string of
letters, not a name in camel case (``OAuthTokenProvider``)."""


def _balanced(value: str) -> bool:
    """Whether every bracket in ``value`` closes one opened before it (``get_token(s)``,
    ``items[0]``): code. A ``)`` before its ``(`` (``u@D7GXt)t>8d(LtH^(``) is a password's."""
    depth = 0
    for c in value:
        depth += (c in "([") - (c in ")]")
        if depth < 0:
            return False
    return True


_WORDS_ONLY = re.compile(r"[A-Za-z_.+-]+")
_LOWER_PATH = re.compile(r"/?[a-z_.][a-z0-9_.-]*(?:/[a-z_.][a-z0-9_.-]*)+/?|/[a-z_.][a-z0-9_.-]*/?")
"""A path of lower-case names (``/run/secrets/``, ``tmp/actual``): where a secret is kept,
not the secret. Not ``//host…``: a service's address can be a scanner's secret."""
_PATH_PART = re.compile(r"[a-z0-9]+")
_VERSION = re.compile(r"v\d+(?:alpha|beta|rc)?\d*")


def _generated_path(value: str) -> bool:
    """Two or more parts that mix letters and digits (``hx7/tq9-wz2k4``): how a generated
    password of small letters reads; a folder's path has at most one such part (``k8s/secrets``,
    ``python3.11/site-packages``) beside versions (``apis/v1beta1/…``)."""
    parts = [
        part
        for part in _PATH_PART.findall(value)
        if not part.isdigit() and not part.isalpha() and not _VERSION.fullmatch(part)
    ]
    return len(parts) >= 2


_OPTION = re.compile(r"--?[a-z][a-z-]*=?")
"""A command's option (``'--password='.$password``): the name the secret is passed under."""
_DIGEST_CHALLENGE = re.compile(r"(?i)digest\s+(?:realm|nonce|qop|opaque|algorithm|stale|domain)=")
_DIGEST_CREDENTIAL = re.compile(r"(?i)\b(?:response|username|cnonce)\s*=")
"""A Digest header's parameters: starting with the challenge's own and without the client's
(``username``, ``response``, with or without spaces around ``=``, which HTTP allows) they are
the server's challenge, which holds no credential."""
_PROSE = re.compile(r"[A-Za-z][\w,.'!?:-]*(?: +[\w,.'!?:-]+)+ *")
"""Words and spaces (a quoted message such as ``"token has expired, log in again"``)."""
NAME_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_CONSTANT = r"[A-Z]+\d{0,3}(?:_(?:[A-Z]+\d{0,3}|\d{1,3}))+"
"""``AUTH_MICROSOFT_ENTRA_ID_SECRET``, ``OAUTH2_TOKEN``, ``SHA_256``: the name of a variable
that holds the secret, its parts words with at most a short number after them. A digit inside
a part or a long number (``R3D1S_PR0D_2024``, ``Q7ZK_3MXP_9TLW``) is how people write a
password in capitals, not a name."""
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)^(?:pass(?:word|wd)?|secret|token|pwd|user(?:name)?|test|dummy|fake|example|foo|bar"
    r"|changeme|redacted|hunter2|\*+)\d*$"
)


_STAND_IN = re.compile(
    r"\$(?:[A-Za-z_]\w*|\d|[{(].*)|%(?:s|\(\w+\)s?|\w+%)|<.*|\{(?:[{$].*|[\w.-]*\}.*|)|\*+|\[REDACTED.*|\[[a-z]+\]"
    r"|" + _CONSTANT,
    re.DOTALL,
)


def stand_in(value: str) -> bool:
    """Whether a value in a request's credential place stands in for one: a variable or
    expression (``$PASS``, ``${{ secrets.X }}``, ``$(cat f)``, ``%s``), a placeholder or template
    (``<token>``, ``{password}``; not ``{rT8#mQ2…``, a generated password), a runner's or
    library's mask (``***``, ``[secure]``), a marker of ours, or a constant's name
    (``SAS_POLICY_NAME:SAS_KEY@…``). The regexes cut a value at a space or quote, so only its
    start is seen."""
    return _STAND_IN.fullmatch(value) is not None


def plausible_secret(value: str, *, placeholders: bool = False) -> bool:
    """Whether a value assigned to a secret-named key (or a URL's password) could be a real
    secret rather than code, a placeholder or a name (``get_token(s)``, ``PASSWORD``,
    ``AuthType``). Letters only are a name unless long and random-looking; code or a constant's
    name with a token's random run in it is a value after all (``pk.eyJ1…``). With
    ``placeholders``, a filler value (``12345678-ABCD-…``) counts too: redaction takes it
    harmlessly; a template or stand-in still not."""
    if _PLACEHOLDER.search(value) or _PLACEHOLDER_WORDS.match(value) or spelled_stand_in(value):
        return False
    if not any(c.isalnum() for c in value):  # a heading's underline, ``==============``
        return False
    if _OPTION.fullmatch(value) or (
        _LOWER_PATH.fullmatch(value) and not random_token(value) and not _generated_path(value)
    ):
        return False
    if _DIGEST_CHALLENGE.match(value) and not _DIGEST_CREDENTIAL.search(value):
        return False
    if not placeholders and placeholder(value):
        return False
    if _PROSE.fullmatch(value) or _DOC_PATH.fullmatch(value):
        return False
    numbered = _NUMBERED_NAME.fullmatch(value)
    if (
        numbered
        and len(NAME_PART.findall(numbered["name"])) > 1
        and (identifier(numbered["name"]) or "_" in numbered["name"])
    ):
        return False
    scheme = _SCHEME_VALUE.fullmatch(value)
    if scheme and example_credential(scheme["credential"]):
        return False
    if (
        _CODE.match(value)
        or (_BRACKET.search(value) and _balanced(value))
        or re.fullmatch(_CONSTANT, value)
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
    part three letters or more, or in camel case four fifths of the letters in such parts with
    two of five or more (or one of eight: ``Transition``, not ``HUSBFLJI``), so a short part or
    number between words (``OAuth2PasswordRequestForm``) does not make a name random. A random
    string breaks into many short parts."""
    parts = NAME_PART.findall(value)
    if not parts:
        return False
    if all(len(part) >= 3 for part in parts):
        return True
    if (value.lower() == value or value.upper() == value) and not _SNAKE.fullmatch(value):
        return False
    words = [part for part in parts if len(part) >= 3]
    letters = sum(map(len, parts))
    return sum(map(len, words)) * 5 >= letters * 4 and (
        sum(len(w) >= 5 for w in words) >= 2 or any(len(w) >= 8 and w[1:].islower() for w in words)
    )


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")
_SNAKE = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+")
"""Words joined by underscores (``swagger_ui_init_oauth``): the parts are the words."""


_EXAMPLE_USERS = frozenset(
    {
        "scott",
        "user",
        "username",
        "uname",
        "dbuser",
        "myuser",
        "some_user",
        "testuser",
        "foo",
        "example-username",
        "userid",
        "usr",
        "test",
    }
)
_EXAMPLE_PASSWORDS = frozenset(
    {
        "tiger",
        "pass",
        "password",
        "passwd",
        "pwd",
        "pw",
        "secret",
        "test",
        "testing",
        "bar",
        "foobar",
        "some_pass",
        "example-password",
        "mypassword",
    }
)
"""The user and password pairs documentation and tests write (``scott:tiger``, Oracle's old
demo account; ``user:pass``; ``username:password``), case aside and with a number after."""
_EXAMPLE_TOKEN = re.compile(
    r"(?:test|fake|foo|bar|baz|dummy|example|sample|secret|token|key|my|some|not|a|really|real"
    r"|valid|invalid|nonexistent|wrong|base64|[-_])+"
)
"""A token spelled from words that say it is none (``testtoken``, ``footokenbar``,
``notabase64token``, ``fake-token``, ``test-key``, ``Bearer nonexistent``)."""
_STAND_IN_WORDS = re.compile(
    r"(?:test(?:ing)?|fake|foo|bar|baz|dummy|example|sample|secret|token|my|some|not|super"
    r"|pass(?:word|wd)?|pwd|key|api|access|hashed|encrypted|string|json|array"
    r"|collection|changeme)+"
)
"""The words a stand-in is spelled from (``my-super-secret-password``, ``fakehashedsecret2``,
``test-access-key-secret-2``, ``encrypted-secret-json-string``)."""
_SHORT_NUMBER = re.compile(r"[-_]?\d{1,3}$")
_SEPARATORS = re.compile(r"[\s_.+'\"-]+")


def spelled_stand_in(value: str) -> bool:
    """Whether a secret-named key's value is spelled only from :data:`_STAND_IN_WORDS` and a
    short number once accents, separators and escapes are read back (``pässwörd``,
    ``pass%2Bword``), or is base64 of one (``bm90LXNlY3JldA==``): those say they are examples.
    Digits for letters are not read back: ``P@ssw0rd`` is how people make their own passwords."""
    if len(value) % 4 == 0 and len(value) >= 8 and _BASE64.fullmatch(value):
        try:
            decoded = base64.b64decode(value, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded.isprintable() and decoded != value and spelled_stand_in(decoded):
            return True
    plain = unicodedata.normalize("NFKD", unquote(value))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    plain = _SEPARATORS.sub("", _SHORT_NUMBER.sub("", plain))
    return len(plain) <= 40 and _STAND_IN_WORDS.fullmatch(plain) is not None


_KEY_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_VALUE_WORD = re.compile(r"[A-Za-z]+|\d+")


def names_its_key(key: str, value: str) -> bool:
    """Whether a secret-named key's value only spells the key's own words, with a short number or
    stand-in words (``AUTH_HMAC_SHA1 = 'hmac-sha1'``, ``csrf_token="csrf3"``): it names the
    place, it holds no secret. A word the key lacks (``db-Xk8pQ2``), a long number
    (``password2024``) or any number under a password's key (``Admin123``) is a secret's: a weak
    password is spelled from the account's name."""
    name = _KEY_NAME_RUN.match(key)
    if name and _PASSWORD_KEY.search(name.group()) and any(c.isdigit() for c in value):
        return False
    key_words = {word.lower() for word in _KEY_WORD.findall(key) if not word.isdigit()}
    words = _VALUE_WORD.findall(unquote(value))
    if not words or _SEPARATORS.sub("", value).isdigit():
        return False
    named = False
    for word in words:
        lowered = word.lower()
        if word.isdigit():
            if len(word) > 3:
                return False
        elif lowered in key_words:
            named = True
        elif not _STAND_IN_WORDS.fullmatch(lowered):
            return False
    return named and not any(c not in "-_. " and not c.isalnum() for c in unquote(value))


_PASSWORD_KEY = re.compile(r"(?i)(?:pass(?:word|wd|phrase)?|pwd)\d{0,3}$")
_KEY_NAME_RUN = re.compile(r"[\w.$-]+")
_PASSPHRASE = re.compile(r"[a-z]{2,}(?:[- ][a-z]{2,}){3,}|[A-Z][a-z]+(?:-[A-Z][a-z]+){3,}\d{0,4}")


def passphrase(key: str, value: str) -> bool:
    """Whether a password key's value is a passphrase: four or more lower-case words
    (``correct-horse-battery-staple``) or capitalised words joined by ``-`` as password managers
    write them, not stand-in words. Only a key whose last word is a password's says the words are
    one; prose has capitals, punctuation or fewer words."""
    name = _KEY_NAME_RUN.match(key)
    return (
        name is not None
        and _PASSWORD_KEY.search(name.group()) is not None
        and _PASSPHRASE.fullmatch(value) is not None
        and not spelled_stand_in(value)
    )


_SCHEME_VALUE = re.compile(r"(?i)(?:basic|bearer|token|digest)\s+(?P<credential>\S+)\s*")
"""A header's value assigned to a key (``{"authorization": "Basic …"}``)."""
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _bare(word: str) -> str:
    return unquote(word).lower().rstrip("0123456789")


def example_credential(value: str, user: str | None = None) -> bool:
    """Whether a URL's password or an authorisation header's credential is a documentation
    example: ``user:password`` from :data:`_EXAMPLE_USERS` and :data:`_EXAMPLE_PASSWORDS`
    (``scott:tiger``), a token of :data:`_EXAMPLE_TOKEN`'s words (``Bearer testtoken``), or Basic
    credentials decoding to such a pair or an empty password. Anything else goes, however weak
    (``root:password``, ``u:p``): a real default account's password is still a secret."""
    if user is not None:
        return _bare(user) in _EXAMPLE_USERS and _bare(value) in _EXAMPLE_PASSWORDS
    if len(value) <= 32 and _EXAMPLE_TOKEN.fullmatch(value):
        return True
    if len(value) % 4 or not _BASE64.fullmatch(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return False
    name, colon, password = decoded.partition(":")
    return (
        bool(colon)
        and decoded.isprintable()
        and (
            _EMPTY_USER.fullmatch(name) is not None
            if not password
            else example_credential(password, name)
        )
    )


_EMPTY_USER = re.compile(r"[a-z]{0,10}")
"""A user whose password is empty that is a word (``user:``, ``api:``) or nothing (``:``). An
API key is sent as the user with an empty password (``curl -u sk_live_…:``, Stripe's and many
services' Basic scheme): a user with capitals, digits or symbols, or longer than a word
(``seugeupfknprstoe:``, 16 small letters), is such a key."""


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
            not run.isalpha()  # a run of ASCII letters and digits: so it holds a digit
            and not run.isdigit()  # and a letter (checked whole, not a character at a time)
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
    """A value no generator made: marked as a stand-in (:data:`_MARKED`), one character for half
    of it (``AKIAZZZZ…``), a short chunk repeated (``abcd1234abcd1234…``), or counting
    (``abcdefghij…``, ``12345``). A random token of 8 or more characters meets none of these but
    by a vanishing chance."""
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
