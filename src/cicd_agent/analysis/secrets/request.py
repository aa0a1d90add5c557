"""Request credentials: authorisation headers of every scheme, a password or
token in a URL, and the password options and variables of common clients. The place says it
is a credential, so any value but a stand-in goes."""

from __future__ import annotations

import re
from collections.abc import Callable

from cicd_agent.analysis.secrets.rule import Rule
from cicd_agent.analysis.secrets.values import example_credential, not_a_word, random_token


def _request(
    kind: str,
    pattern: str,
    keywords: tuple[str, ...],
    *,
    cased: tuple[str, ...] = (),
    check: Callable[[str], bool] | None = None,
    reach: str = "",
) -> Rule:
    """A credential whose place says what it is (:attr:`Rule.request`): any value but a stand-in
    goes. ``pattern`` names the value ``secret`` and starts with one of ``keywords``."""
    return Rule(
        kind,
        pattern,
        keywords,
        group="secret",
        request=True,
        anchored=True,
        cased=cased,
        check=check,
        reach=reach,
    )


_LOOPBACK = r"(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?![\w.%@-])(?![^/\s'\"?#]*@)"
"""The loopback as a whole host: not ``localhost.evil.example``, ``localhost%2eevil.example``
(a URL parser decodes the host) or ``localhost@evil.example`` and ``localhost:1@evil.example``
(the host is after the authority's last ``@``, and ``guest@localhost…`` would be the
password)."""
_URL_PASSWORD = _request(
    "password in URL",
    r"://(?P<user>[^/\s:@'\"\[]*):(?!(?P=user)@" + _LOOPBACK + r")"
    r"(?P<secret>[^/\s'\"]+)(?=@(?!sha256:))",
    ("://",),
)
"""The user may be empty (``redis://:password@host``); the password runs to the authority's
last ``@`` (``https://u:p@ss@host``: an unescaped ``@`` in a password happens). An image
reference's digest (``docker://alpine:3.19@sha256:…``) is not userinfo, nor is a syntax line's
optional part (``amqp://[USER:PASSWORD@]HOST``). A default account whose password is its own
name on the loopback (``amqp://guest:guest@localhost//``, ``postgres:postgres@localhost``)
tells nothing the user name does not: such an account answers only on the machine itself,
where its defaults are no secret (RabbitMQ refuses ``guest`` from anywhere else); the same
pair on any other host is redacted."""
_URL_TOKEN = Rule(
    "token in URL",
    (r"://(?P<secret>[A-Za-z0-9_~.%-]{20,})(?=@|:[^/\s@'\"]*@)"),
    ("://",),
    group="secret",
    entropy=3.5,
    plausible=True,
    anchored=True,
)
"""A token given as the URL's user (``https://<token>@github.com/…``), also with a password
after it that is no secret (``https://<token>:x-oauth-basic@…``)."""
# What a log shows of the requests a job made: authorisation headers of every
# scheme, wherever they are written (a header line, ``curl -H '…'``, JSON, YAML, code), and
# the password options of common clients. The place says it is a credential, so no entropy
# floor: only placeholders and variables (``$TOKEN``, ``<token>``) are left.
_BARE_VALUE = r"""(?P<secret>[^\s'"`|;&<>]+)"""
_VALUE = r"""['"]?""" + _BARE_VALUE
"""An option's value, maybe quoted (the quote is kept)."""
_ARGUMENTS = r"(?:[ \t]+(?!{flags})[^\s|;&]+)*"
"""Arguments after a command up to the first of its ``flags``, or the end of the command."""


def _after_command(
    kind: str, command: str, flags: str, option: str, keywords: tuple[str, ...]
) -> Rule:
    """``command``, other arguments, then the password ``option`` (one of ``flags``). Where it
    fails, a later keyword among those arguments (``mysql mysql …``) reaches only the places
    this one did: the arguments it passed are its :attr:`Rule.reach`."""
    return _request(
        kind,
        command + _ARGUMENTS.format(flags=flags) + r"?[ \t]+" + option,
        keywords,
        reach=command + _ARGUMENTS.format(flags=flags),
    )


_AUTH_HEADER = (
    r"""(?:(?<=(?P<outer>["']))|)(?i:(?:proxy-)?authorization)"""
    r"""(?:["']?[ \t]*[:=][ \t]*|["'][ \t]*,[ \t]*)(?P<inner>["'])?"""
)
"""The header's name and separator, with the quote that opens the value (``"Bearer …"``) or the
whole header (``-H 'Authorization: …'``), if any: the value ends at its closing quote."""
_SCHEMES = (
    "basic|bearer|digest|negotiate|ntlm|kerberos|token|bot|ssws|hoba|mutual|vapid|dpop|gnap"
    "|privatetoken|concealed|oauth|scram-sha-1|scram-sha-256|aws4-hmac-sha256|aws|hawk|jwt"
    "|api-?key|key|sso-key|googlelogin|sharedkey(?:lite)?|sharedaccesssignature|splunk|mac"
    "|client-id|nuget|zoho-oauthtoken|klaviyo-api-key"
)
"""Authorisation schemes: IANA's registry and those common APIs use."""
_CREDENTIAL = r"""(?![a-z]+[ \t]+[A-Za-z])(?=[^\s'"`,;)}\]]*[^\W_])(?P<secret>[^\s'"`,;)}\]]+)"""
"""The credential after a scheme, unless it and the next word read as prose (``token has
expired``) or it holds no letter or digit (``GITHUB_TOKEN ? …``, ``prefix + 'x'``: code)."""
_PUBLIC_PARAMS = frozenset(
    {
        "username",
        "realm",
        "nonce",
        "uri",
        "qop",
        "nc",
        "opaque",
        "algorithm",
        "stale",
        "domain",
        "charset",
        "userhash",
    }
)
"""A Digest exchange's parameters that hold no secret: the user's name and the server's
challenge. The client's proof is ``response`` (and ``cnonce`` with it)."""


_DIGEST = re.compile(r"(?i)digest[ \t]+\Z")
_PARAM_VALUE = re.compile(r"""([\w-]+)\s*=\s*["']?([^"',\s]*)""")


def public_digest(before: str, value: str) -> bool:
    """Whether a ``Digest`` authorisation header's value holds only :data:`_PUBLIC_PARAMS`, or
    names with nothing after them: none is the client's proof. Only Digest has such parameters
    (``Bearer username=<token>`` is a token), and a random-token user name is one."""
    if _DIGEST.search(before) is None:
        return False
    if value.endswith("=") and value[:-1].lower() in _PUBLIC_PARAMS:
        return True
    pairs = _PARAM_VALUE.findall(value)
    return bool(pairs) and all(
        name.lower() in _PUBLIC_PARAMS and not (name.lower() == "username" and random_token(found))
        for name, found in pairs
    )


_AUTH_SCHEME = _request(
    "authorization header",
    _AUTH_HEADER + rf"(?i:{_SCHEMES})[ \t]+" + _CREDENTIAL,
    ("authorization",),
)
"""``Authorization: Basic <base64>``, ``Bearer <token>``, ``token x``, ``Negotiate …``, ``NTLM
…``: after a known scheme any credential but a stand-in goes."""


_AUTH_OTHER_SCHEME = _request(
    "authorization header",
    _AUTH_HEADER + r"[A-Za-z][\w.-]{1,24}[ \t]+" + _CREDENTIAL,
    ("authorization",),
    check=not_a_word,
)
"""Any other scheme (``Authorization: CustomScheme <credential>``)."""


def _foreign_word(value: str) -> bool:
    """Letters only, not all of them ASCII: a word (a glossary's translation), not a token."""
    return value.isalpha() and not value.isascii()


_AUTH_TOKEN = Rule(
    "authorization header",
    _AUTH_HEADER + r"""(?P<secret>[^\s'"`,;)}\]]{4,})""",
    ("authorization",),
    group="secret",
    plausible=True,
    anchored=True,
    check=lambda value: (
        not example_credential(value)
        and not _foreign_word(value)
        and "authorization" not in value.lower()
    ),
)
"""No scheme (``Authorization: <token>``): only what looks like a secret (``Authorization:
required`` does not, nor does a word in another script, ``authorization: авторизація``, nor a
header's or type's name, ``X-HTTP_AUTHORIZATION``, ``headers::authorization::{Authorization``)."""
_PARAMS = (
    r"(?P<secret>[\w-]+=(?![=\s,;]|$|[\"'](?:[\s,;)}}\]]|$))"
    r"(?:[^\r\n]*(?={closing})|[^\r\n]*))"
).format(closing=r"(?(inner)(?P=inner)|(?(outer)(?P=outer)|(?!)))(?:[\s,;)}\]]|\Z)")
"""Parameters, to the last quote on the line that closes the header's value, else to the end.
A name and ``=`` with nothing after it is base64's padding (``Basic dXNlcjpwYXNz=``), not a
parameter."""


_AUTH_PARAMS = Rule(
    "authorization header",
    _AUTH_HEADER + r"[A-Za-z][\w-]{1,24}[ \t]+" + _PARAMS,
    ("authorization",),
    group="secret",
    anchored=True,
)
"""Schemes with parameters (``Digest username="…", response="…"``, ``AWS4-HMAC-SHA256
Credential=…, Signature=…``): the parameters go whole, to the quote that closes the header's
value (the last on the line, so an escaped quote inside does not end it) or to the end of the
line; the parameters' own quotes go with them."""
_CLIENT_PASSWORDS = (
    _after_command(
        "password option",
        r"(?i:mysql|mariadb)[\w-]*",
        "-p",
        r"(?:-p|--password=)" + _VALUE,
        ("mysql", "mariadb"),
    ),
    _request("password option", r"(?i:sshpass)[ \t]+-p[ \t]*" + _VALUE, ("sshpass",)),
    _after_command(
        "password option",
        r"(?i:redis-cli)",
        r"-a\b|--pass\b",
        r"(?:-a|--pass)[ \t]+" + _VALUE,
        ("redis-cli",),
    ),
    _after_command(
        "password option",
        r"(?i:docker|podman|buildah|skopeo|nerdctl|helm(?:[ \t]+registry)?)[ \t]+login",
        r"-p\b",
        r"-p[ \t]+" + _VALUE,
        ("docker", "podman", "buildah", "skopeo", "nerdctl", "helm"),
    ),
    _after_command(
        "password option",
        r"(?i:curl)",
        r"-u\b|--user\b",
        r"""(?:-u|--user)[ \t]*['"]?[^\s:'"]*:""" + _BARE_VALUE,
        ("curl",),
    ),
    _request(
        "password option",
        r"(?i:htpasswd)[ \t]+-\w*b\w*(?:[ \t]+[^\s|;&-][^\s|;&]*){2}[ \t]+" + _VALUE,
        ("htpasswd",),
    ),
    Rule(
        "password option",
        r"(?<=-)(?i:pass(?:word)?)(?:=|[ \t]+)(?!-)" + _VALUE,
        ("pass",),
        group="secret",
        plausible=True,
        anchored=True,
        check=lambda value: any(c.isalnum() for c in value),
    ),
)
"""``mysql -p<password>`` (no space: a space makes mysql prompt) or ``--password=``,
``sshpass -p``, ``redis-cli -a``, ``docker login -p``, ``curl -u user:password``, ``htpasswd -b
file user password``: any value but a stand-in. And any ``--password <value>`` /
``--db-password=<value>`` of any command, if the value looks like a secret (a tool's help
shows ``--password PASSWORD``)."""
_CLIENT_VARIABLES = ("PGPASSWORD", "SSHPASS", "MYSQL_PWD", "REDISCLI_AUTH", "SQLCMDPASSWORD")
_CLIENT_VARIABLE = _request(
    "password variable",
    r"(?<![\w$])(?:" + "|".join(_CLIENT_VARIABLES) + r""")["']?[ \t]*[:=][ \t]*""" + _VALUE,
    tuple(name.lower() for name in _CLIENT_VARIABLES),
    cased=_CLIENT_VARIABLES,
)
"""The variables clients read their password from (``PGPASSWORD=… psql``, ``SSHPASS``,
``MYSQL_PWD``, ``REDISCLI_AUTH``, ``SQLCMDPASSWORD``), assigned or in a log's ``env:``."""
REQUEST_CREDENTIALS = (
    _AUTH_SCHEME,
    _AUTH_OTHER_SCHEME,
    _AUTH_TOKEN,
    _AUTH_PARAMS,
    _URL_PASSWORD,
    _URL_TOKEN,
    *_CLIENT_PASSWORDS,
    _CLIENT_VARIABLE,
)


_REGEX_PARTS = re.compile(r"\[\^?(?:[^\]\w\\]|\\.|\w-\w)*\]|\(\?P<[a-z_]{1,12}>|\(\?:|\\[A-Za-z]")
"""A class of symbols, escapes and ranges (``[^:@]``, ``[a-z]``, ``[^\\s/]``), a named group
of a short lower-case name, a group's or class's escape. A class or group name holding a run
of letters and digits (``[Xk8pQ2vLm9w]+``, ``(?P<Xk8pQ2vLm9w>.)``) is a password's."""


def regex_syntax(value: str) -> bool:
    """A pattern where a URL's password goes (``https?://(.+):(.+)@``): code that parses URLs.
    With classes, named groups and escapes taken out only groups, quantifiers, ``.`` and ``:``
    are left; any letter or digit outside a class is a password's."""
    if "(" not in value and "[" not in value:
        return False
    rest = _REGEX_PARTS.sub("", value)
    return not rest.strip("()+*?.:") and (rest != value or any(c in value for c in "+*?"))
