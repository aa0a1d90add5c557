"""The build report made from image trees (pure: no builder), the advice rules' changed
Dockerfiles, the rendering of hostile Dockerfile text, and the tool process seam."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.actions.markdown import posted
from cicd_agent.local.processes import runs, stream
from cicd_agent.modes.build.analyse import analyse, decide
from cicd_agent.modes.build.arguments import FAIL_ON_CHOICES
from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.findings import Findings
from cicd_agent.modes.build.layer_archive import from_memory
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.oci import Step
from cicd_agent.modes.build.options import growth
from cicd_agent.modes.build.packages import Package
from cicd_agent.modes.build.publish import write_sbom
from cicd_agent.modes.build.result import (
    AdviceReport,
    BuildResult,
    InstructionReport,
    LayerBar,
    SmokeReport,
    VulnerabilityReport,
    human,
    picture,
    signed,
)
from cicd_agent.modes.build.rules import candidates
from cicd_agent.modes.build.types import Source

DOCKERFILE = "FROM scratch\nCOPY tool /bin/tool\nCOPY . /app\nRUN rm /bin/tool\n"


def built(
    layers: list[dict[str, bytes | str | None]], cached: frozenset[int] = frozenset()
) -> Built:
    instructions = tuple(parse(DOCKERFILE).stage())
    steps = tuple(Step(i.text, n) for n, i in enumerate(instructions[1:]))
    return Built(from_memory(layers), steps, instructions, cached)


def test_bytes_added_wasted_and_compared_by_files_not_digests() -> None:
    base = built([{"bin/tool": b"x" * 100}, {"app/a.py": b"1"}, {"bin/tool": None}])
    head = built(
        [{"bin/tool": b"x" * 100}, {"app/a.py": b"22"}, {"bin/tool": None}], cached=frozenset({2})
    )
    verdict = analyse(head, base, None)
    rows = {row.line: row for row in verdict.instructions}
    assert rows[2].wasted_bytes == 100 and rows[2].same_files and rows[2].cached
    assert rows[3].added_bytes == 2 and rows[3].base_added_bytes == 1 and not rows[3].same_files
    assert verdict.strategy == "cached"  # the first rebuilt step copies the application in
    result = decide(
        verdict,
        advice=[],
        image="",
        builder="buildah",
        dockerfile="Dockerfile",
        size_limit=50,
        growth_limit=growth("0%"),
        sbom_path="",
        sarif_file="",
    )
    assert (result.image_size, result.image_size_delta, result.wasted_bytes) == (102, 1, 100)
    assert result.policy_failure("size-limit") and result.policy_failure("growth-limit")
    assert result.policy_failure("new-high") is None
    # the summary says the size once: the headline, not again as the body's first line
    assert result.summary_markdown().count("against the base") == 1
    rerun = built(
        [{"bin/tool": b"x" * 100}, {"app/a.py": b"1"}, {"bin/tool": None}], cached=frozenset({2, 3})
    )
    assert analyse(rerun, base, None).strategy == "full"  # the first rebuilt step is a RUN


def test_a_package_and_its_vulnerability_carry_the_line_that_brought_them() -> None:
    package = Package(
        "pkg:npm/left-pad@1.0.0",
        "left-pad",
        "1.0.0",
        "npm",
        "left-pad",
        "app/node_modules/left-pad/package.json",
        1,
    )
    head = built([{"bin/tool": b"x"}, {"app/a.py": b"1"}, {}])
    verdict = analyse(head, head, Findings(head=(package,), base=()))
    assert verdict.changes is not None
    assert [(p.purl, p.line) for p in verdict.changes.added] == [(package.purl, 3)]


def test_the_rules_change_only_what_they_say(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    text = (
        "FROM debian:12\nCOPY big.tar /tmp/big.tar\nRUN tar xf /tmp/big.tar && rm /tmp/big.tar\n"
        "COPY . /app\nRUN pip install -r /app/requirements.txt\n"
        "RUN apt-get install -y curl\n"
    )
    found = {
        c.rule: c
        for c in candidates(Source(tmp_path, tmp_path, tmp_path / "D", text, parse(text)), None)
    }
    assert set(found) == {
        "copy-then-delete",
        "dependencies-before-copy",
        "apt-lists-cleaned",
        "apt-no-install-recommends",
        "base-pinned-by-digest",
    }
    collapsed = found["copy-then-delete"].dockerfile.splitlines()
    assert collapsed[1].startswith("RUN --mount=type=bind,source=big.tar,")
    assert "COPY big.tar" not in found["copy-then-delete"].dockerfile
    moved = found["dependencies-before-copy"].dockerfile.splitlines()
    assert moved[3:6] == [
        "COPY requirements.txt /app/",
        "RUN pip install -r /app/requirements.txt",
        "COPY . /app",
    ]
    assert found["dependencies-before-copy"].cached_step == 5
    assert found["apt-lists-cleaned"].dockerfile.rstrip().endswith("rm -rf /var/lib/apt/lists/*")
    lean = found["apt-no-install-recommends"]
    assert "RUN apt-get install --no-install-recommends -y curl" in lean.dockerfile.splitlines()
    assert (lean.check, lean.packages) == ("fewer", ("curl",))
    assert found["base-pinned-by-digest"].check == "registry"  # never built: unchecked


def test_a_hostile_instruction_stays_code_in_one_table_cell() -> None:
    evil = "RUN echo '| x | @octocat <img src=x> [a](https://evil.example) ``` ::set-output"
    result = BuildResult(
        headline="h",
        instructions=[
            InstructionReport(line=2, instruction=evil, added_bytes=5, wasted_bytes=0, cached=False)
        ],
        head_layers=[LayerBar(label="L2 RUN", bytes=5)],
    )
    text = str(posted(result.summary_markdown()))
    (row,) = [line for line in text.splitlines() if line.startswith("| 2 |")]
    cells = re.split(r"(?<!\\)\|", row)
    assert len(cells) == 8  # six cells: the instruction's own pipes are escaped inside its cell
    assert "<img" not in text and "](https://evil.example)" not in text
    assert "@octocat" not in text  # no mention pings anyone


def test_a_file_name_of_the_image_in_an_advices_why_stays_on_its_line() -> None:
    """An advice's ``why`` names a file of the image (the first that differs) or a line the
    builder printed: a ``RUN`` line names its files, newlines and all. Before: the name's lines
    became the comment's own (a heading, a table) under the bot's name."""
    name = "usr/x\n\n### All checks passed\n\n| a | b |\n|---|---|\n| forged | <b>row</b> |\n"
    result = BuildResult(
        headline="h",
        advice=[
            AdviceReport(rule="apt-lists-cleaned", line=3, status="refuted", suggestion="RUN x",
                         why=f"1 files differ, the first {name}"),
            AdviceReport(rule="dockerignore", line=4, status="verified", size_before=9,
                         size_after=5, suggestion="RUN y", why=f"only {name} left out"),
        ],
    )  # fmt: skip
    text = str(posted(result.summary_markdown()))
    forged = ("### All", "| a |", "|---|---|", "| forged", "<b>")
    assert not [line for line in text.splitlines() if line.startswith(forged)]
    assert "<b>" not in text and text.count("All checks passed") == 2


def test_verified_advice_says_it_rests_on_the_pull_requests_own_build() -> None:
    """A verified advice's numbers come from building the pull request's Dockerfile, whose
    ``RUN`` lines choose what they write: the summary says so above them, and only there."""
    shown = AdviceReport(
        rule="dockerignore",
        line=4,
        status="verified",
        size_before=9,
        size_after=5,
        suggestion="RUN y",
        why="only .git left out",
    )
    unproven = AdviceReport(rule="apt-lists-cleaned", line=3, status="refuted",
                            suggestion="RUN x", why="grew")  # fmt: skip
    with_verified = BuildResult(headline="h", advice=[unproven, shown]).summary_markdown()
    without = BuildResult(headline="h", advice=[unproven]).summary_markdown()
    assert "this pull request's own `RUN` lines" in with_verified
    assert "this pull request's own `RUN` lines" not in without
    # said after the layers' table, it names which sizes it speaks of, not "the numbers below"
    assert "the sizes this report gives, in its table and its advice" in with_verified


def test_the_sbom_is_cyclonedx(tmp_path: Path) -> None:
    package = Package(
        "pkg:pypi/requests@2.31.0",
        "requests",
        "2.31.0",
        "PyPI",
        "requests",
        "usr/lib/python3/requests-2.31.0.dist-info/METADATA",
        2,
    )
    write_sbom(tmp_path / "sbom.json", (package,))
    document = json.loads((tmp_path / "sbom.json").read_text())
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.5"
    assert [c["purl"] for c in document["components"]] == [package.purl]


def test_attack_an_image_of_many_packages_writes_its_sbom_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image may hold 100,000 packages (a ``RUN`` line writes as many tiny ``package.json``
    files under ``node_modules``). cyclonedx-python-lib's output registered each component's
    dependency entry by a scan of all the entries: 2,000 took 2.1 CPU-s, 8,000 24 CPU-s, the
    100,000 about 40 minutes, past the run's deadline. The work is counted, not timed: the
    comparisons of component references grow with n log n, not n squared (before: 2,039,117
    for 2,000 packages; after: 40,117)."""
    from cyclonedx.model.bom_ref import BomRef

    compared = 0
    equal = BomRef.__eq__

    def counted(self: BomRef, other: object) -> bool:
        nonlocal compared
        compared += 1
        return equal(self, other)

    monkeypatch.setattr(BomRef, "__eq__", counted)
    found = tuple(
        Package(f"pkg:npm/p{n}@1.0.0", f"p{n}", "1.0.0", "npm", f"p{n}", "", 1) for n in range(4000)
    )
    write_sbom(tmp_path / "sbom.json", found)
    assert compared < 40 * len(found)
    document = json.loads((tmp_path / "sbom.json").read_text())
    assert len(document["components"]) == len(document["dependencies"]) == 4000


def test_a_tool_process_streams_its_lines_and_is_stopped_in_time() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    seen: list[str] = []
    status, tail = stream(
        [sys.executable, "-c", "print('a'); print('b')"], env=env, on_line=seen.append, timeout=60
    )
    assert (status, seen, tail) == (0, ["a", "b"], ["a", "b"])
    script = "import time\nwhile True:\n    print('x', flush=True)\n    time.sleep(0.05)"
    status, tail = stream(
        [sys.executable, "-c", script], env=env, on_line=lambda _: None, timeout=0.3
    )
    assert status == -9 and tail[-1] == "stopped after 0 s"
    assert not runs(["no-such-tool-here"], env=env)


def test_sizes_read_as_a_person_reads_them_and_bars_share_one_scale() -> None:
    assert (human(999), human(1500), signed(-2_500_000), signed(None)) == (
        "999 B",
        "1.5 kB",
        "-2.5 MB",
        "-",
    )
    drawn = picture([LayerBar(label="L2 RUN", bytes=100)], [LayerBar(label="L2 RUN", bytes=50)])
    (row,) = [line for line in drawn.splitlines() if line.startswith("L2 RUN")]
    assert row.count("█") == 30 + 15  # the base's bar is the longest, the head's half of it


def _vulnerability(severity: str) -> VulnerabilityReport:
    return VulnerabilityReport(id=f"GHSA-{severity}", package="pkg:npm/a@1", severity=severity)


def test_every_fail_on_value_has_its_gate() -> None:
    """Each gate trips on what it names and not on what it does not: a high alone trips
    ``new-high`` and not ``new-critical``; an image exactly at the limit passes ``size-limit``
    and a byte more fails it."""
    over = BuildResult(
        headline="h",
        image_size=600_000_000,
        image_size_delta=1,
        size_limit=500_000_000,
        growth_limit_exceeded=True,
        new_vulnerabilities=[_vulnerability("critical")],
        smoke=SmokeReport(command="true", exit_code=1, passed=False),
    )
    assert all(over.policy_failure(value) for value in FAIL_ON_CHOICES)
    assert not any(BuildResult(headline="h").policy_failure(value) for value in FAIL_ON_CHOICES)
    high = BuildResult(headline="h", new_vulnerabilities=[_vulnerability("HIGH")])
    assert high.policy_failure("new-high") and high.policy_failure("new-critical") is None
    low = BuildResult(headline="h", new_vulnerabilities=[_vulnerability("medium")])
    assert low.policy_failure("new-high") is None and low.policy_failure("new-critical") is None
    at = BuildResult(headline="h", image_size=500, size_limit=500)
    assert at.policy_failure("size-limit") is None
    assert replace(at, image_size=501).policy_failure("size-limit")
    passed = BuildResult(headline="h", smoke=SmokeReport(command="true", exit_code=0, passed=True))
    assert passed.policy_failure("smoke") is None


def test_each_output_counts_what_it_names() -> None:
    """The outputs a workflow's gates read count apart: criticals, highs, fixed ones and
    advice proven by building (not every candidate)."""
    advice = [
        AdviceReport(rule="r", line=1, status=status, suggestion="", why="")
        for status in ("verified", "refuted", "unchecked", "verified")
    ]
    result = BuildResult(
        headline="h",
        new_vulnerabilities=[_vulnerability(s) for s in ("critical", "high", "high", "low")],
        fixed_vulnerabilities=[_vulnerability("medium")],
        advice=advice,
    )
    outputs = result.mode_outputs()
    counted = [outputs[name] for name in
               ("new_critical_cves", "new_high_cves", "fixed_cves", "verified_advice")]  # fmt: skip
    assert counted == [1, 2, 1, 2]


def test_verified_advice_says_exactly_what_it_saves() -> None:
    """A ``.dockerignore`` leaving out a small file saves a few hundred bytes: the sizes alone
    read ``120.0 MB → 120.0 MB``, a saving of nothing. The bytes it saves are said."""
    small = AdviceReport(rule="dockerignore", line=4, status="verified", size_before=120_000_512,
                         size_after=120_000_000, suggestion=".git\n", why="only .git left out")  # fmt: skip
    text = BuildResult(headline="h", advice=[small]).summary_markdown()
    assert "120.0 MB → 120.0 MB, 512 bytes smaller: " in text, text
