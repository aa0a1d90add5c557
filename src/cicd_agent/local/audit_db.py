"""Gate decisions in PostgreSQL: one row per verdict, so a team can ask across repositories and
months how often the gate held or rolled back (the JSON-lines file is one artifact per job and
expires with it). Written only when the workflow gives ``audit-database-url``.

Every write takes a transaction-scoped advisory lock and brings the schema up to
:data:`MIGRATIONS` first, so two jobs starting at once neither race the migration nor see half of
it. A database that is down, slow or refuses us raises :class:`AuditDatabaseError` naming no
password; the decision stands (:mod:`cicd_agent.job.decisions`)."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 5
"""libpq's connect timeout: a gate must not wait on a database it cannot reach."""
STATEMENT_TIMEOUT_MS = 5_000
"""Per statement, server-side: a locked or overloaded database costs the job seconds at most."""
WRITE_TIMEOUT_SECONDS = 30.0
"""The whole conversation, on our side: statement_timeout is the server's to enforce, and a
wedged or hostile server (or a connection whose packets stop arriving) never answers at all."""
LOCK_KEY = 0x63696364  # "cicd"
"""The advisory lock every writer takes while it migrates and inserts."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE cicd_agent_decisions (
            id bigserial PRIMARY KEY,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            tool text NOT NULL,
            repository text,
            mode text NOT NULL,
            phase text NOT NULL,
            head_sha text,
            run_url text,
            decision text NOT NULL,
            risk_level text,
            record jsonb NOT NULL
        )""",
        "CREATE INDEX cicd_agent_decisions_by_month "
        "ON cicd_agent_decisions (repository, phase, recorded_at)",
    ),
    (
        # The rollout a canary verdict belongs to (the workflow's environment), so a rollback
        # and a later promote of the same release can be paired (docs/audit.md).
        "ALTER TABLE cicd_agent_decisions ADD COLUMN environment text",
        "CREATE INDEX cicd_agent_decisions_by_release "
        "ON cicd_agent_decisions (repository, head_sha, phase)",
    ),
    (
        # A test history table no run writes (the history is kept in a file): kept, as schema
        # versions must stay as the databases already migrated hold them.
        """CREATE TABLE cicd_agent_test_runs (
            id bigserial PRIMARY KEY,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            repository text NOT NULL,
            job text NOT NULL,
            record jsonb NOT NULL
        )""",
        "CREATE INDEX cicd_agent_test_runs_by_job "
        "ON cicd_agent_test_runs (repository, job, recorded_at)",
    ),
)
"""Schema versions in order; version N is ``MIGRATIONS[N - 1]``. Append, never edit."""


class AuditDatabaseError(Exception):
    """The row was not written; the message is safe to show (no password, no full URL)."""


@dataclass(frozen=True)
class Decision:
    """One gate verdict, as a row: the columns people filter on, and the whole record as JSON."""

    tool: str
    mode: str
    phase: str
    decision: str
    record: Mapping[str, Any]
    repository: str | None = None
    head_sha: str | None = None
    run_url: str | None = None
    risk_level: str | None = None
    environment: str | None = None


def secrets_of(url: str) -> tuple[str, ...]:
    """The parts of ``url`` to mask in logs: the URL itself, its password (as written and
    decoded) and a ``password=`` parameter. A password with a raw ``@`` or ``/`` makes libpq
    split the URL elsewhere and quote the rest as a host or port, so each piece of it between
    those characters is masked too."""
    rest = url.partition("://")[2]
    password = rest[: rest.rfind("@")].partition(":")[2] if "@" in rest else ""
    found = [url, password, unquote(password)]
    found += [piece for piece in re.split(r"[@/?#]", password) if len(piece) >= 4]
    found += re.findall(r"[?&]password=([^&#]+)", url)
    return tuple(dict.fromkeys(secret for secret in found if secret))


def write(url: str, decision: Decision) -> int:
    """Migrate the schema if needed and insert ``decision``; returns the new row's id."""
    return _bounded(url, lambda url, opened: _write(url, decision, opened))


def _bounded(url: str, talk: Callable[[str, list[Any]], T]) -> T:
    """``talk(url, opened)`` within :data:`WRITE_TIMEOUT_SECONDS`: past it, the connection it
    opened is shut down under it (so its thread ends) and the caller hears why."""
    opened: list[Any] = []
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(talk(url, opened))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="cicd-agent-audit-db", daemon=True)
    worker.start()
    worker.join(WRITE_TIMEOUT_SECONDS)
    if worker.is_alive():
        for conn in opened:
            _hang_up(conn)
        raise AuditDatabaseError(
            f"the database did not answer within {WRITE_TIMEOUT_SECONDS:g} seconds"
        )
    if failure:
        raise failure[0]
    return outcome[0]


def _hang_up(conn: Any) -> None:
    """Shut the connection's socket down, so a read blocked on it returns."""
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):  # already closed
        pass


def _write(url: str, decision: Decision, opened: list[Any]) -> int:
    psycopg = _driver()
    from psycopg.types.json import Jsonb

    try:
        with _connect(psycopg, url, opened) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            _migrate(conn)
            columns = tuple(getattr(decision, name) for name in _COLUMNS)
            row = conn.execute(
                _INSERT, (*_storable(columns), Jsonb(_storable(dict(decision.record))))
            ).fetchone()
    except psycopg.Error as exc:
        raise AuditDatabaseError(_describe(exc, url)) from None
    if row is None:  # RETURNING always yields the row; a None would be a driver bug
        raise AuditDatabaseError("the database returned no row id")
    return int(row[0])


_COLUMNS = tuple(column.name for column in fields(Decision) if column.name != "record")
"""A row's text columns: :class:`Decision`'s fields, ``record`` (JSONB) aside."""
_INSERT = (
    f"INSERT INTO cicd_agent_decisions ({', '.join(_COLUMNS)}, record) "  # noqa: S608 - our names
    f"VALUES ({'%s, ' * len(_COLUMNS)}%s) RETURNING id"
)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL refuses in text and JSONB: NUL, and a surrogate with no pair."""


def _storable(value: Any) -> Any:
    """``value`` with every string in it (keys too) cleared of what PostgreSQL refuses, each
    such character replaced by U+FFFD: attacker text (a title, a commit message) holding one
    would otherwise keep the whole row out of the record."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_storable(item) for item in value)
    return value


def _driver() -> Any:
    """psycopg, imported only when a database is configured (it loads libpq)."""
    import psycopg

    return psycopg


def _connect(psycopg: Any, url: str, opened: list[Any]) -> Any:
    """A connection, also appended to ``opened`` (for :func:`_bounded` to hang up)."""
    conn = psycopg.connect(
        url,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        application_name="cicd-agent",
    )
    opened.append(conn)
    return conn


def _current_version(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('cicd_agent_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM cicd_agent_schema").fetchone()
    return int(found[0]) if found else 0


def _migrate(conn: Any) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS cicd_agent_schema "
        "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    current = _current_version(conn)
    if current > len(MIGRATIONS):
        raise AuditDatabaseError(
            f"the database's audit schema is version {current}, newer than this cicd-agent "
            f"knows ({len(MIGRATIONS)}); upgrade cicd-agent"
        )
    for version in range(current + 1, len(MIGRATIONS) + 1):
        for statement in MIGRATIONS[version - 1]:
            conn.execute(statement)
        conn.execute("INSERT INTO cicd_agent_schema (version) VALUES (%s)", (version,))


def _describe(exc: Exception, url: str) -> str:
    """The driver's first line with the URL and password taken out (libpq quotes neither,
    but a server's message may echo what it was given)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    return text[:300]
