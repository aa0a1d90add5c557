"""Shapes of ours, beside the upstream rule sets: an unterminated private-key block, a value
assigned to a secret-named key, an AWS secret key next to its id, the prefixes of the tokens a
CI job most often holds at any length, prefixed tokens of any service, webhook URLs and the
vendors' documented token formats (:data:`VENDOR_RULES`)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

from cicd_agent.analysis.secrets.code_names import qualified_name
from cicd_agent.analysis.secrets.request import REQUEST_CREDENTIALS
from cicd_agent.analysis.secrets.rule import Rule
from cicd_agent.analysis.secrets.values import RANDOM_RUN, random_token

_KEY_LINES = (
    r"(?:(?:\r?\n|\\n)(?:\d{4}-\d\d-\d\dT[\d:.]+Z )?[ \t]*"
    r"(?:[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9+/]+==?)(?![\w+/=]))*"
)
"""An unterminated PEM block (a log or a limit cut it): the base64 lines that follow, each
after a line break (also ``\\n`` in a string) and maybe a runner timestamp; the first other
line ends it rather than the whole rest of the text."""
PRIVATE_KEY = Rule(
    "private key",
    (
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?"
        rf"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|{_KEY_LINES})"
    ),
    ("private key",),
)
_KEY_BEGIN = re.compile(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
_KEY_FILLER = re.compile(r"\\[nr]|[\s\"'+,]")
"""What a stand-in block holds between its markers: line breaks, written or escaped, and the
quotes and ``+`` of a string continued on the next line."""
_KEY_LINE = re.compile(
    r"(?:^|\n|\\n)[ \t\"']*(?=[A-Za-z0-9+/=]*[0-9+/])[A-Za-z0-9+/]{12,}={0,2}"
    r"[ \t\"',+]*(?=\r?\n|\\n|$)"
)
"""A line of a key's body: base64 alone on its line, with a digit, ``+`` or ``/`` in it (a
code line that is one word, ``continue``, has none)."""


def empty_key_block(secret: str) -> bool:
    """Whether a private-key match holds no key: only line breaks between its BEGIN and first END
    marker (a test's stand-in) and no key line in the rest. gitleaks' rule ran from such a block
    past its own END to the next key's, taking thousands of lines of code between; a key's lines
    before that END still go, and a BEGIN alone (a cut log) still counts."""
    begin = _KEY_BEGIN.match(secret)
    if begin is None:
        return False
    end = secret.find("-----END", begin.end())
    return (
        end >= 0
        and not _KEY_FILLER.sub("", secret[begin.end() : end])
        and _KEY_LINE.search(secret, end) is None
    )


# Anchored on the keyword, not the start of the variable name: a leading [A-Z0-9_.-]* would be
# tried at every character of the text. (gitleaks' generic-api-key rule, which this replaces,
# starts with such a prefix and is ten times slower on a large diff.)
_KEY_NAME = (
    r"(?i)(?:secret|passw(?:or)?d|passwd|\bpass\b|(?<![a-z])pwd\b|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|credentials?|(?<!www-)(?<!un)auth(?!ors?(?:\b|_)))[A-Z0-9_.-]*"
)
"""A key naming a secret, to the end of its name: a try that fails here fails at every keyword
later in the name (``AGE-SECRET-KEY-1AGE-SECRET-…``), which ends where this one does."""
_ASSIGNED = Rule(
    "assigned secret",
    (
        _KEY_NAME + r"\b"
        r"(?<!id)(?<!ids)(?<!name)(?<!names)(?<!url)(?<!uri)(?<!endpoint)(?<!path)(?<!file)"
        r"(?<!length)(?<!type)(?<!auth_user)(?<!authuser)(?<!auth-user)(?<!_dn)(?<!group)"
        r"[\"']?\s*(?::=|=>|[=>]|:(?!:|//))\s*"
        r"(?:\"(?P<double>[^\"\s][^\"\n]{7,4095}?)\"|'(?P<single>[^'\s][^'\n]{7,4095}?)'"
        r"|[`]?(?P<bare>[A-Za-z0-9+/_\-.~!@#$%^&*=:|?]{8,}+)(?![(\[]))"
    ),
    ("secret", "pass", "pwd", "token", "api", "access", "private", "credential", "auth"),
    plausible=True,
    anchored=True,
    reach=_KEY_NAME,
)
"""A value assigned to a secret-named key, quoted (to the closing quote, a token of a few
kilobytes included) or bare (to a space, quote, comma or semicolon: ``user:token``,
``a/b|c`` go whole). A key that names the secret's id, name, place or size
(``credentialsId``, ``LLM_KEY_NAME``, ``access_token_url``, ``secret_length``) or its user
(``PHP_AUTH_USER``; not ``PGPASSWORD_SUPERUSER``, Spilo's superuser password), its directory
name or group (``AUTH_LDAP_BIND_DN``, ``AUTH_LDAP_REQUIRE_GROUP``) holds something else; so
does a status (``Unauthorized``), a class's member (``ResetPassword::$callback``) and a URL scheme (``opaquelocktoken://…``)."""
_AWS_SECRET = Rule(
    "AWS secret access key",
    (
        r"(?:\b(?:AKIA|ASIA)[A-Z0-9]{16}\b[\s,;:|\"']{1,8}|(?i:aws).{0,40}?[\s=:\"',]{1,4})"
        r"(?P<secret>(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))"
    ),
    ("akia", "asia", "aws"),
    group="secret",
    entropy=4.0,
)
# ------------------------------------------------------------------------ prefixed tokens
# Most services now issue tokens as a short prefix naming the service and kind, a separator,
# and a long random part (``aio_…``, ``glpat-…``, ``sq0atp-…``, ``lsv2_pt_…``, ``dp.ct.…``):
# one shape covers the families no rule names, including tomorrow's. Redaction only: a
# build id or cache key of that shape loses nothing a model needs.

_PUBLIC_ID = re.compile(
    r"(?i:sha(?:1|224|256|384|512)-)|[A-Z]{1,5}_k[gw]D[A-Za-z0-9]"
    r"|(?!(?i:secret|token|key|pass|auth|api))[A-Za-z]{4,}-[0-9a-f]{40}$"
    r"|diff-[0-9a-f]{32}(?:[0-9a-f]{32})?(?:[LR]\d+)?$"
    r"|(?:evt|ch|cus|pi|pm|seti|sub|si|prod|price|txn|in|ii|po|tr|py|re|acct|src|card|ba|dp)"
    r"_\d[A-Za-z0-9]{13,}$"
)
"""A subresource-integrity digest (``sha512-<base64>``, every package lock's ``integrity``), a
hash of public content, a GitHub node id (``PR_kwDO…``, ``DIC_kwDO…``), or a word, a hyphen
and a SHA-1 in hex (``schedule-<sha1>``, ``dryRun-<sha1>``, a name made from a commit or a hash; not
a word naming a secret, ``secret-<sha1>``, and not an underscore, as tokens are written:
Buildkite's ``bkua_<40 hex>``),
or a GitHub diff's file or line anchor (``#diff-<md5 or sha256 of the path>R178``), or a
Stripe object's id (``evt_1Ip9…``, ``cus_…``, ``pi_…``: Stripe's documented id prefixes, an
underscore and a digit; its secrets are ``sk_``, ``rk_``, ``whsec_`` and have their own
rules): not a token.
Services that put 40 hex characters after their prefix use a short one (``pul-``) and have
rules of their own; longer hex runs (``rootly_<64 hex>``) stay tokens."""
# Not inside base64 or a longer name; after ``=`` only when a name in capitals is assigned
# (``DEPLOY=acme_…``, an environment variable that names no secret), not a URL's query
# (``?list=PLUe5s-…``, a playlist id), nor a weak entity tag (``W/"bec-Gggne…"``, a hash of a
# response body that every cache and recorded HTTP exchange holds).
_PREFIXED_TOKEN = Rule(
    "prefixed token",
    r"(?<![\w.+/-])(?<![^A-Z0-9_]=)(?<!W/\")"
    r"(?P<secret>[A-Za-z][A-Za-z0-9]{1,11}(?:[_.-][A-Za-z0-9]{1,11}){0,3}[_.-]"
    r"[A-Za-z0-9][A-Za-z0-9_-]{15,}={0,2})(?![\w.+/=-])",
    (),
    group="secret",
    redaction_only=True,
    check=lambda value: (
        random_token(value) and not _PUBLIC_ID.match(value) and not qualified_name(value)
    ),
    seed=RANDOM_RUN,
)
_WEBHOOK_PLACE = re.compile(r"(?i)hook|/api/")
_WEBHOOK_TOKEN = re.compile(r"/(?![a-z]+(?:-[a-z0-9.]+)*(?:[/?#)]|$))[A-Za-z0-9_-]{16,}")
"""A ``/`` and 16 token characters, not a name of words and versions (npm's
``/before-after-hook-2.2.3.tgz``, a repository ``/react-hooks-axios``, also as a Markdown
link's target)."""


def _webhook(url: str) -> bool:
    """Whether ``url`` has ``hook`` or ``/api/`` after its scheme and a ``/`` and 16 token
    characters after that: the first such place leaves the most room for the token, so one
    search of each kind decides (linear, where one regex of lazy runs was cubic)."""
    place = _WEBHOOK_PLACE.search(url, url.find("://") + 3)
    return place is not None and _WEBHOOK_TOKEN.search(url, place.end()) is not None


_WEBHOOK_URL = Rule(
    "webhook URL",
    r"(?i)(?P<secret>https?://[^\s'\"]*)",
    ("hook",),
    group="secret",
    redaction_only=True,
    check=_webhook,
)
"""A webhook's URL is its credential whole (Discord, Teams, Zapier, Tines…), whether ``hook`` is
in the host or in the path (``https://x.tines.com/webhook/<id>/<secret>``)."""
_OURS = tomllib.loads(
    resources.files("cicd_agent").joinpath("data/secret_shapes.toml").read_text("utf-8")
)
"""The tokens a CI job most often holds, by prefix at any length (``broad``), and vendor shapes
documented by the vendor (``documented``): data, ``data/secret_shapes.toml``."""


def _rule(raw: dict[str, Any]) -> Rule:
    return Rule(**{**raw, "keywords": tuple(raw["keywords"])})


_BROAD_PREFIXES = tuple(_rule(raw) for raw in _OURS["broad"])
_DOCUMENTED = tuple(_rule(raw) for raw in _OURS["documented"])
_START = r"(?<![\w.+/-])"
"""Not inside a longer word, path or base64 run."""
_UUID = r"[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}"


def _vendor_rule(raw: dict[str, Any]) -> Rule:
    """A vendor's token; one with ``prefixes`` starts with one of them, spelled as the vendor
    spells them."""
    pattern = raw["pattern"] if isinstance(raw["pattern"], str) else "".join(raw["pattern"])
    pattern = pattern.replace("<uuid>", _UUID)
    prefixes = tuple(raw.get("prefixes", ()))
    return Rule(
        raw["kind"],
        _START + pattern if prefixes else pattern,
        tuple(prefix.lower() for prefix in prefixes) or tuple(raw["keywords"]),
        redaction_only=True,
        anchored=bool(prefixes) or raw.get("anchored", False),
        cased=prefixes or tuple(raw.get("cased", ())),
    )


VENDOR_RULES = tuple(
    _vendor_rule(raw)
    for raw in tomllib.loads(
        resources.files("cicd_agent").joinpath("data/vendor_secrets.toml").read_text("utf-8")
    )["vendor"]
)
"""Vendor token formats the upstream rule sets do not name alone: each a prefix the vendor
documents for its keys, then the key's characters, with the documentation each comes from:
data, ``data/vendor_secrets.toml``. Redaction only: the prefix marks the value as the vendor's
credential, so a placeholder after it (``hvb.aaaa…``) goes too, harmlessly. No pattern of
trufflehog's (AGPL-3.0) is used. Each rule starts at its prefix (``anchored``), so it is tried
only where the prefix occurs, and no rule has a nested or overlapping repeat: linear on any
text."""
OWN_RULES = (
    PRIVATE_KEY,
    *REQUEST_CREDENTIALS,
    _ASSIGNED,
    _AWS_SECRET,
    *_BROAD_PREFIXES,
    _PREFIXED_TOKEN,
    _WEBHOOK_URL,
    *_DOCUMENTED,
    *VENDOR_RULES,
)
