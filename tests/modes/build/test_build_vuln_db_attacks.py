"""Attacks on ``--vuln-db`` when it names a folder of the checkout: the pull request owns that
folder as it owns a ``--vex`` file there, so it must not decide what is read (a link to a
folder of the runner) nor which vulnerabilities exist."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cicd_agent.actions.errors import UsageError
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.build.findings import _database
from cicd_agent.modes.build.packages import Package

RECORD = {
    "schema_version": "1.6.0",
    "id": "GHSA-host-read-xxxx",
    "modified": "2026-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


def ctx_for(checkout: Path, vuln_db: Path) -> Any:
    return SimpleNamespace(
        mode_options=SimpleNamespace(vuln_db=str(vuln_db)),
        progress=SimpleNamespace(stage=lambda _: None, say=lambda _: None),
        checkout=GitCheckout(checkout),  # only its folder is asked: does it hold a path?
    )


def test_attack_a_vuln_db_folder_the_pull_request_made_a_link_reads_no_host_file(
    tmp_path: Path,
) -> None:
    host = tmp_path / "runner-files"
    host.mkdir()
    (host / "record.json").write_text(json.dumps(RECORD))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "osv").symlink_to(host)  # what the pull request committed: osv -> a host folder
    wanted = [Package("pkg:pypi/requests@2.0.0", "requests", "2.0.0", "PyPI", "requests", "x", 0)]
    try:
        db = _database(ctx_for(checkout, checkout / "osv"), wanted, tmp_path / "work")
    except UsageError:
        return  # refused: fine
    assert db is not None and db.looked_at == 0, "a record behind the pull request's link was read"
