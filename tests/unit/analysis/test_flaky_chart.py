"""The flaky report's chart ("Seen"), rendered from a real-shaped history and read
back as a person's eye would: bars ordered and sized by the CI time each test lost, the
longest the full width, every bar labelled with its rank and test; a test named to break out
of the SVG or the Mermaid block stays text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cicd_agent.analysis.flaky_stats import BAR_WIDTH, StoredRun, mermaid_chart, stats, svg_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = 'tests.t.test_x</text><script>alert(1)</script><text x="0">\x1b[31m"\n'


def _found() -> list:
    """Four tests over 12 runs of a 90 s job: each fails on its own rhythm."""
    rhythm = {"tests.a.test_often": 2, "tests.b.test_sometimes": 3, HOSTILE: 4,
              "tests.c.test_rarely": 6, "tests.d.test_never": 0}  # fmt: skip
    runs = [StoredRun("o/r", "tests", n, 1, "", f"2026-11-01T00:{n:02}",
                      {test: not every or n % every != 0 for test, every in rhythm.items()},
                      job_seconds=90.0) for n in range(1, 13)]  # fmt: skip
    return stats(runs)


def test_the_svg_draws_each_test_s_ci_time_lost_as_a_bar_longest_first() -> None:
    found = _found()
    assert [s.test for s in found][:2] == ["tests.a.test_often", "tests.b.test_sometimes"]
    root = ET.fromstring(svg_chart(found))  # well-formed XML, whatever the names
    bars = [float(r.attrib["width"]) for r in root.iter(f"{SVG}rect")]
    lost = [s.lost_seconds for s in found]
    assert len(bars) == len(found) == 4  # the stable test has no bar
    assert bars == sorted(bars, reverse=True) and bars[0] == BAR_WIDTH
    for width, seconds in zip(bars, lost, strict=True):  # as long as its share of the longest
        assert abs(width - BAR_WIDTH * seconds / lost[0]) < 0.1
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert labels[1] == "#1 tests.a.test_often"
    assert f"{lost[0]:,.0f} s, flip rate 100%" in labels


def test_attack_a_test_name_stays_text_in_the_svg_and_never_reaches_the_mermaid_block() -> None:
    found = _found()
    root = ET.fromstring(svg_chart(found))
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    named = [t.text or "" for t in root.iter(f"{SVG}text") if "test_x" in (t.text or "")]
    assert len(named) == 1 and named[0].startswith("#3 tests.t.test_x</text><script>alert(1)<")
    assert "\x1b" not in svg_chart(found)
    block = mermaid_chart(found)
    assert block.startswith("```mermaid\nxychart-beta horizontal\n") and block.endswith("```")
    assert "test" not in block.split("\n", 1)[1].replace("flaky tests", "")  # ranks, no names
    assert re.search(r'x-axis \["#1", "#2", "#3", "#4"\]', block)
    bars = re.search(r"bar \[([^\]]*)\]", block)
    assert bars is not None
    assert bars[1] == ", ".join(f"{s.lost_seconds:.0f}" for s in found)
    assert mermaid_chart([]) == "" and svg_chart([]).startswith("<svg")
