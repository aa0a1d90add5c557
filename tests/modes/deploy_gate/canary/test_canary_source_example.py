"""CONTRIBUTING's worked example of adding a metric source names a real source: the file it
tells the reader to read exists, sits in the table by the one line it quotes, and is tried by
the store tests it names."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.deploy_gate.canary import sources
from tests.harness.payloads import REPO_ROOT


def test_the_contributing_example_names_a_source_that_exists_and_is_tested() -> None:
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Worked example: adding a metric source", 1)[1].split("\n## ", 1)[0]
    assert "`sources/graphite.py`" in section
    assert '`"graphite": Store(graphite.connect),`' in section
    assert sources.SOURCES["graphite"].connect is sources.graphite.connect
    assert (Path(sources.__file__).parent / "graphite.py").is_file()
    tests = REPO_ROOT / "tests/modes/deploy_gate/canary/test_canary_stores.py"
    assert "test_canary_stores.py" in section and '"graphite": Kind(' in tests.read_text()
