"""What every metric source is built from: the :class:`Source` seam it implements, the
:class:`Series` it returns, its errors, and :class:`Fetcher`, the one way a source reaches its
store (a timeout per attempt, bounded retries with backoff, a cap on the body's size, a refusal
of nesting deeper than the parser's stack, and messages that never carry a credential or a
URL's userinfo).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.actions.masking import is_secret_name

MAX_BODY = 16 * 1024 * 1024
"""Bytes of one answer read at most: a store (or whoever answers in its place) cannot fill the
runner's memory."""
MAX_POINTS = 100_000
"""Points of one series at most (Prometheus itself answers at most 11,000)."""
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_TIMEOUT, MAX_ATTEMPTS = 60.0, 10
"""Bounds of the ``timeout`` (seconds a read may wait) and ``attempts`` options: the
configuration may come from a pull request, and must not be able to hold the gate open."""
DEADLINE = 180.0
"""Seconds one read of the store may take in all (attempts, backoff, a body that trickles in):
a per-read timeout alone lets a store send its answer a little at a time for ever."""


class SourceError(ExternalServiceError):
    """The store could not be reached or gave no usable answer: the judge sees nothing (a
    ``continue``, unhealthy), never a promote."""


class SourceQueryError(UsageError):
    """The store answered and rejected a query: the configuration must change."""


@dataclass(frozen=True)
class Series:
    """One time series of a range query: its labels and its samples in time order."""

    labels: Mapping[str, str]
    timestamps: tuple[float, ...]
    values: tuple[float, ...]


class Source(Protocol):
    """A metric store the canary phase reads: ``shown`` says where, safe to print."""

    shown: str

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """``query`` from ``start`` to ``end`` (Unix seconds), a sample every ``step`` seconds."""
        ...


class Connect(Protocol):
    """A source module's ``connect``: the source its settings name, given its credentials."""

    def __call__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> Source: ...


def origin(url: str) -> str:
    """``scheme://host:port`` an http(s) URL is sent to (lower case, the port always given), or
    ``""``. Read as the transport reads it (requests prepares it, urllib3 parses it): another
    parser may see another host in the same text (``http://attacker\\@store/`` is ``store`` to
    ``urllib.parse``, ``attacker`` to urllib3), and the grant must hold where the key goes."""
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url.strip(), None)
        parts = urllib3.util.parse_url(prepared.url or "")
    except (requests.exceptions.RequestException, urllib3.exceptions.LocationParseError):
        return ""
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https") or not parts.host:
        return ""
    return f"{scheme}://{parts.host.lower()}:{parts.port or (443 if scheme == 'https' else 80)}"


_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)", re.I)
"""A number as stores write it, in JSON or as a string (Prometheus' ``"0.25"``, ``"+Inf"``,
``"NaN"``): not Python's literal syntax (``1_000``), not a boolean."""


def number(value: object) -> float:
    """``value`` as a float; NaN when it is no number (``true``, ``"1_000"``, a list). An
    integer too large for a float is infinite (JSON reads it exactly; ``float()`` would
    raise)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return math.nan
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.inf if isinstance(value, int) and value > 0 else -math.inf


def points(raw: object, shown: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Timestamps and values from a list of ``[time, value]`` pairs: a value that is null or
    not a number reads as NaN (the judge drops it and counts it), a malformed point or a time
    that is no finite number is a :class:`SourceError` (the store gave no usable answer)."""
    if not isinstance(raw, list) or len(raw) > MAX_POINTS:
        raise SourceError(f"the metric store at {shown} answered no list of points (or too many).")
    stamps, values = [], []
    for point in raw:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise SourceError(f"the metric store at {shown} answered a malformed point.")
        stamp = number(point[0])
        if not math.isfinite(stamp):
            raise SourceError(f"the metric store at {shown} answered a malformed time.")
        stamps.append(stamp)
        values.append(number(point[1]))
    return tuple(stamps), tuple(values)


def url_of(settings: SourceSettings, default: str) -> str:
    """The URL the source reads: the configuration's, else the store's ``default`` with
    ``{region}`` filled from the options (``""`` when neither). One place, so the grant is
    checked on the URL the source then sends to."""
    if settings.url is not None:
        return settings.url
    return default.replace("{region}", str(settings.options.get("region", "")))


def display_url(url: str) -> str:
    """The URL without any ``user:password@`` part, query or fragment: safe to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def checked_url(url: str | None, what: str) -> str:
    """``url`` when it is an http(s) URL with a host, else a usage error saying so."""
    parts = urlsplit((url or "").strip())
    try:  # the host and port urllib.parse reads, put in the transport's spelling
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        read = origin(f"{parts.scheme}://{host}:{parts.port or ''}/")
    except ValueError:
        read = ""
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "{" in parts.netloc
        or not read
        or read != origin(url or "")  # the parsers disagree: it would be shown as another host
    ):
        raise UsageError(
            f"{what} must be an http(s) URL with a literal host (no placeholder, no '\\'), got "
            f"{display_url(url or '')!r}.",
            hint="For example https://metrics.example.com or http://127.0.0.1:9090.",
        )
    return (url or "").strip()


def fetcher_for(
    settings: SourceSettings,
    secrets: Mapping[str, str],
    *,
    roles: frozenset[str],
    options: frozenset[str] = frozenset(),
    headers: Mapping[str, str] | None = None,
    shown: str,
) -> Fetcher:
    """The bounded fetcher of a source whose settings take ``roles`` of secrets and
    ``options`` (plus ``timeout`` and ``attempts``, which every source takes), sending
    ``headers``, and basic auth when the roles hold ``username`` or ``password`` (never
    beside a ``token``): anything else is a usage error naming what the source takes."""
    takes = options | {"timeout", "attempts"}
    unknown = sorted(set(settings.options) - takes) + sorted(set(secrets) - roles)
    if unknown:
        raise UsageError(
            f"source {settings.type} takes secrets {', '.join(sorted(roles)) or 'none'} and "
            f"options {', '.join(sorted(takes))}; got {', '.join(unknown)}."
        )
    basic = {"username", "password"} & set(secrets)
    if basic and "token" in secrets:
        raise UsageError(
            f"give source {settings.type} a token or a username and password, not both."
        )
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    session.headers.update(headers or {})
    if basic:
        session.auth = (secrets.get("username", ""), secrets.get("password", ""))
    timeout, attempts = settings.options.get("timeout", 10.0), settings.options.get("attempts", 4)
    if isinstance(timeout, bool | str) or not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError(
            f"source {settings.type}: timeout must be seconds in (0, {MAX_TIMEOUT:g}]."
        )
    if isinstance(attempts, bool | str | float) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise UsageError(
            f"source {settings.type}: attempts must be a whole number 1-{MAX_ATTEMPTS}."
        )
    return Fetcher(session, shown, timeout=float(timeout), attempts=attempts)


def answered(status: int, shown: str, query: str, said: object = None) -> None:
    """Nothing when ``status`` is 200; else the failure as the caller must treat it: the
    credentials refused (:class:`SourceError`), the query rejected (:class:`SourceQueryError`,
    quoting at most 200 characters of what the store ``said``), or the store failing."""
    if status == 200:
        return
    if status in (401, 403):
        raise SourceError(f"the metric store at {shown} refused the credentials (HTTP {status}).")
    if status in (400, 422):
        reason = f": {quoted(said)}" if said else ""
        raise SourceQueryError(
            f"the metric store at {shown} rejected the query {query!r} (HTTP {status}){reason}."
        )
    raise SourceError(f"the metric store at {shown} failed the query (HTTP {status}).")


def quoted(said: object, limit: int = 200) -> str:
    """What the store said, at most ``limit`` characters ending on a whole word: a store may
    echo a credential, and a cut through one leaves a piece no mask finds (masks hide whole
    values)."""
    text = str(said)
    if len(text) <= limit:
        return text
    kept = text[: limit + 1].rsplit(None, 1)
    return (kept[0] if len(kept) > 1 else "") + " …"


def window(start: float, end: float, step: float) -> None:
    """A usage error unless ``start < end`` and ``step > 0``."""
    if not end > start or step <= 0:
        raise UsageError(f"invalid query window: start={start}, end={end}, step={step}.")


def shape_error(shown: str, expected: str) -> SourceError:
    """The store answered, but not in the shape its API documents."""
    return SourceError(
        f"the metric store at {shown} answered without {expected}.",
        hint="Check that the source's type and url name that store's API.",
    )


@dataclass
class Fetcher:
    """GETs with bounded retries (connection errors, timeouts, 429 and 502-504, backing off
    exponentially within ``max_backoff``; a ``Retry-After`` in seconds is honoured within it).
    A redirect is never followed: it would carry the session's headers (all but
    ``Authorization``) to whichever host it names, and read that host's answer as the store's."""

    session: requests.Session
    shown: str
    timeout: float = 10.0
    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    what: str = "the metric store"
    """How messages name the store (``Prometheus``)."""
    hint: str = "Check the source's URL, that the runner can reach it, and that it is up."
    deadline: float = DEADLINE
    clock: Callable[[], float] = time.monotonic
    chunk: int = 65536

    def get_json(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        post: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The status and the decoded JSON body (None when it is not JSON) of the first answer
        that is not retried; :class:`SourceError` when none came. ``post``: a body sent by POST
        instead of a GET (bytes as they are, anything else as JSON); ``headers``: this
        request's own (a signature)."""
        if self.attempts < 1:
            raise UsageError(f"attempts must be at least 1, got {self.attempts}.")
        problem = ""
        stop = self.clock() + self.deadline
        for attempt in range(1, self.attempts + 1):
            retry_after = math.nan
            try:
                with self.session.request(
                    "GET" if post is None else "POST",
                    url,
                    params=params,
                    data=post if isinstance(post, bytes) else None,
                    json=None if isinstance(post, bytes) else post,
                    headers=headers,
                    timeout=max(min(self.timeout, stop - self.clock()), 0.001),
                    stream=True,
                    allow_redirects=False,
                ) as got:
                    if got.is_redirect:
                        raise SourceError(
                            f"{self.what} at {self.shown} answered a redirect (HTTP "
                            f"{got.status_code}), which is not followed.",
                            hint="Give the source's final URL (its https:// address, say).",
                        )
                    if got.status_code not in RETRY_STATUSES:
                        return got.status_code, self._decoded(got, stop)
                    problem = f"HTTP {got.status_code}"
                    retry_after = _seconds(got.headers.get("Retry-After"))
            except requests.exceptions.RequestException as error:
                problem = _connection_problem(error)
            if attempt < self.attempts:
                wanted = (
                    retry_after if math.isfinite(retry_after) else self.backoff * 2 ** (attempt - 1)
                )
                pause = min(max(wanted, 0.0), self.max_backoff)
                if self.clock() + pause >= stop:
                    problem += f" (and no time left within the {self.deadline:g} s deadline)"
                    break
                self.sleep(pause)
        raise SourceError(
            f"{self.what} at {self.shown} could not be reached after {self.attempts} "
            f"attempt(s): {problem}.",
            hint=self.hint,
        )

    def _decoded(self, response: requests.Response, stop: float) -> Any:
        """The body as JSON, read up to :data:`MAX_BODY` bytes (decoded) before ``stop``; None
        when it is not JSON. Each read returns what has arrived (``read1``), so a body sent a
        byte at a time meets the deadline. Non-finite numbers (``NaN``, ``Infinity``) parse as
        floats and are left for the judge, which drops them and says how many."""
        chunks, size, shown = [], 0, self.shown
        while chunk := response.raw.read1(self.chunk, decode_content=True):
            size += len(chunk)
            if size > MAX_BODY:
                raise SourceError(
                    f"the metric store at {shown} answered more than {MAX_BODY} bytes."
                )
            if self.clock() > stop:
                raise SourceError(
                    f"the metric store at {shown} was still answering at the read's deadline "
                    f"({self.deadline:g} s).",
                    hint="Check the store's load, or query a shorter window.",
                )
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except RecursionError:  # nesting deeper than the parser's stack: an attack, not metrics
            raise SourceError(
                f"the metric store at {shown} answered JSON nested too deep."
            ) from None
        except ValueError:
            return None


def _seconds(value: str | None) -> float:
    try:  # seconds; an HTTP date (or none at all) leaves it to the backoff
        return float(value) if value is not None else math.nan
    except ValueError:
        return math.nan


def _connection_problem(error: requests.exceptions.RequestException) -> str:
    """A short, secret-free description: the exception text can embed the full URL."""
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection failed"
    return type(error).__name__


class SourceSettings(BaseModel):
    """The configuration's ``source``: the store's type (a key of the sources' table, checked by
    :func:`~cicd_agent.modes.deploy_gate.canary.sources.known` where the configuration is read), its
    URL, the environment variables holding its credentials (``secrets``: role -> variable name) and
    its own options. A bare string is the type alone (``source: datadog``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: str
    url: str | None = None
    secrets: dict[str, str] = Field(default_factory=dict)
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: object) -> object:
        return {"type": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _known(self) -> SourceSettings:
        """Credentials only in variables whose names say they are secrets:
        every such value is redacted from the summary, the outputs and the log by the run's
        redactor (:func:`~cicd_agent.analysis.redact.known_secrets_from_env`), so no source
        can leak one that a name would hide from it."""
        for role, variable in self.secrets.items():
            if not is_secret_name(variable):
                raise ValueError(
                    f"source secret {role}: the variable {variable!r} must be named as a secret "
                    f"(e.g. {variable}_TOKEN or {variable}_SECRET) so every output redacts its "
                    "value"
                )
        return self
