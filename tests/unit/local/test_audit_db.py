"""The decision record against a real PostgreSQL server: the schema the tool creates and migrates,
two writers at once, the evidence as JSONB, the docs' query, and errors that name no password."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import psycopg
import pytest

from cicd_agent.local import audit_db
from tests.harness.postgres_server import PASSWORD, PostgresServer
from tests.harness.prometheus_server import free_port

DOCS = Path(__file__).resolve().parents[3] / "docs" / "audit.md"


def _decision(phase: str, decision: str, sha: str, **record: object) -> audit_db.Decision:
    return audit_db.Decision(
        tool="cicd-agent test",
        mode="deploy-gate",
        phase=phase,
        decision=decision,
        record=record,
        repository="acme/shop",
        head_sha=sha,
    )


def _schema_version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return audit_db._current_version(conn)


def test_the_first_write_creates_the_schema_and_keeps_the_evidence(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database("first_write")
    assert _schema_version(url) == 0
    evidence = {"signals": [{"name": "tests", "value": 0.9}], "reasons": ["a migration"]}
    row = audit_db.write(url, _decision("deploy", "hold", "abc123", **evidence))
    assert _schema_version(url) == len(audit_db.MIGRATIONS)
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT decision, phase, head_sha, record FROM cicd_agent_decisions WHERE id = %s",
            (row,),
        ).fetchone()
    assert found == ("hold", "deploy", "abc123", evidence)


def test_hostile_text_in_a_record_is_data_not_sql(postgres_server: PostgresServer) -> None:
    """A finding title or PR text is attacker input: it reaches the database as a bound
    parameter, so quotes, a statement separator and a NUL-free JSON look-alike come back as the
    same text and the table is still there."""
    url = postgres_server.database("hostile_text")
    hostile = 'x\'); DROP TABLE cicd_agent_decisions; --\\ " $$ {"decision": "promote"}'
    audit_db.write(url, _decision("review", "comment", hostile, title=hostile))
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT head_sha, record->>'title' FROM cicd_agent_decisions"
        ).fetchall()
    assert found == [(hostile, hostile)]


def test_a_database_at_an_older_version_is_migrated_in_place(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database("older_schema")
    with psycopg.connect(url) as conn:  # what the first release of the record left behind
        conn.execute(
            "CREATE TABLE cicd_agent_schema (version integer PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for statement in audit_db.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO cicd_agent_schema (version) VALUES (1)")
        conn.execute(
            "INSERT INTO cicd_agent_decisions (tool, mode, phase, decision, record) "
            "VALUES ('old', 'deploy-gate', 'deploy', 'proceed', '{}')"
        )
    audit_db.write(url, _decision("canary", "promote", "def456"))
    assert _schema_version(url) == len(audit_db.MIGRATIONS)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tool, environment FROM cicd_agent_decisions ORDER BY id"
        ).fetchall()
    assert rows == [("old", None), ("cicd-agent test", None)]


def test_writers_starting_together_migrate_once_and_all_land(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database("concurrent")
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            audit_db.write(url, _decision("deploy", "proceed", f"sha{index}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM cicd_agent_decisions").fetchone()
        versions = conn.execute("SELECT version FROM cicd_agent_schema ORDER BY 1").fetchall()
    assert count == (8,)
    assert versions == [(v,) for v in range(1, len(audit_db.MIGRATIONS) + 1)]


def test_a_schema_newer_than_the_tool_is_refused_not_rewritten(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database("newer_schema")
    audit_db.write(url, _decision("deploy", "proceed", "a"))
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO cicd_agent_schema (version) VALUES (99)")
    with pytest.raises(audit_db.AuditDatabaseError, match="newer than this cicd-agent"):
        audit_db.write(url, _decision("deploy", "proceed", "b"))


def test_errors_name_no_password(postgres_server: PostgresServer) -> None:
    wrong = postgres_server.url("postgres").replace(PASSWORD, "s3cret-wrong-password")
    with pytest.raises(audit_db.AuditDatabaseError) as refused:
        audit_db.write(wrong, _decision("deploy", "proceed", "a"))
    assert "s3cret-wrong-password" not in str(refused.value)
    assert "password authentication failed" in str(refused.value)
    down = f"postgresql://u:hunter2-down@127.0.0.1:{free_port()}/x"
    with pytest.raises(audit_db.AuditDatabaseError) as unreachable:
        audit_db.write(down, _decision("deploy", "proceed", "a"))
    assert "hunter2-down" not in str(unreachable.value)


def test_secrets_of_a_url_are_the_url_and_its_password() -> None:
    assert audit_db.secrets_of("postgresql://gate:p%40ss@db:5432/audit") == (
        "postgresql://gate:p%40ss@db:5432/audit",
        "p%40ss",
        "p@ss",
    )
    assert audit_db.secrets_of("postgresql://db/audit") == ("postgresql://db/audit",)


def _docs_query(name: str) -> str:
    """The SQL block under the heading ``name`` in docs/audit.md: the test runs what users copy."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split(f"### {name}", 1)[1]
    return section.split("```sql", 1)[1].split("```", 1)[0]


def test_the_docs_query_counts_rollbacks_and_false_rollbacks_per_month(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database("docs_query")
    # Release a: rolled back, then promoted unchanged (a false rollback). Release b: rolled
    # back and never promoted (a true one). Release c: promoted first, rolled back later.
    for phase, decision, sha in [
        ("canary", "rollback", "a"),
        ("canary", "continue", "a"),
        ("canary", "promote", "a"),
        ("canary", "rollback", "b"),
        ("canary", "promote", "c"),
        ("canary", "rollback", "c"),
        ("deploy", "hold", "d"),
    ]:
        audit_db.write(url, _decision(phase, decision, sha))
    with psycopg.connect(url) as conn:
        rows = conn.execute(_docs_query("Rollbacks and false rollbacks per month")).fetchall()
        held = conn.execute(_docs_query("Holds per repository per month")).fetchall()
    assert [(repo, rollbacks, false) for repo, _month, rollbacks, false in rows] == [
        ("acme/shop", 3, 1)
    ]
    assert [(repo, count) for repo, _month, count in held] == [("acme/shop", 1)]


def _hostile_database(answer_startup: bool) -> tuple[str, threading.Event]:
    """A loopback server that accepts connections and then never answers (or answers the
    start-up as PostgreSQL does, then never answers a query): the URL, and the event that
    stops it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        held: list[socket.socket] = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)
            if answer_startup:
                while _is_encryption_request(conn.recv(65536)):
                    conn.sendall(b"N")  # no TLS, no GSSAPI: libpq goes on in the clear
                ready = b"R" + struct.pack("!ii", 8, 0) + b"Z" + struct.pack("!i", 5) + b"I"
                conn.sendall(ready)
        for conn in held:
            conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    return f"postgresql://gate:hunter2-hostile@127.0.0.1:{port}/audit", stop


def _is_encryption_request(packet: bytes) -> bool:
    """libpq's SSLRequest or GSSENCRequest (8 bytes: length, then a magic code)."""
    return len(packet) == 8 and struct.unpack("!ii", packet)[1] in (80877103, 80877104)


@pytest.mark.parametrize("answer_startup", [False, True], ids=["silent", "never-answers-a-query"])
def test_a_database_that_never_answers_costs_the_gate_its_timeout(
    answer_startup: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile or wedged server ignores statement_timeout (that is the server's to enforce):
    the write gives up on our side too, and the message names no password."""
    monkeypatch.setattr(audit_db, "CONNECT_TIMEOUT_SECONDS", 2)
    monkeypatch.setattr(audit_db, "WRITE_TIMEOUT_SECONDS", 3.0)
    url, stop = _hostile_database(answer_startup)
    outcome: list[BaseException | int] = []

    def attempt() -> None:
        try:
            outcome.append(audit_db.write(url, _decision("deploy", "proceed", "a")))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(60)
    stop.set()
    assert not worker.is_alive(), "the write is still waiting on the database"
    [error] = outcome
    assert isinstance(error, audit_db.AuditDatabaseError)
    assert "hunter2-hostile" not in str(error)


def test_a_password_the_url_does_not_percent_encode_is_still_masked() -> None:
    """A password with a raw ``@`` or ``/`` makes libpq split the URL elsewhere and quote the
    rest as a host name: every piece of the password is a secret to mask."""
    url = f"postgresql://gate:hunter2@leaky-part@127.0.0.1:{free_port()}/audit"
    with pytest.raises(audit_db.AuditDatabaseError) as refused:
        audit_db.write(url, _decision("deploy", "proceed", "a"))
    assert "leaky-part" not in str(refused.value)
    assert "leaky-part" in audit_db.secrets_of(url)
    query = "postgresql://gate@db/audit?password=from-the-query&sslmode=require"
    assert "from-the-query" in audit_db.secrets_of(query)


def test_a_nul_or_a_lone_surrogate_in_attacker_text_cannot_keep_the_row_out(
    postgres_server: PostgresServer,
) -> None:
    """PostgreSQL refuses a NUL (in text and in JSONB) and a lone surrogate escape: a pull
    request that put one in its title or a commit message must not keep its verdict out of the
    record. They are stored replaced, the rest of the text as it was."""
    url = postgres_server.database("nul_text")
    for hostile in ("before\x00after", "before\ud800after"):
        audit_db.write(
            url,
            _decision("review", "comment", hostile, title=hostile, nested={hostile: [hostile]}),
        )
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT head_sha, record->>'title' FROM cicd_agent_decisions ORDER BY id"
        ).fetchall()
    assert len(found) == 2
    for sha, title in found:
        assert sha == title and title.startswith("before") and title.endswith("after")
