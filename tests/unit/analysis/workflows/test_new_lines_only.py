"""A zizmor finding is this change's only on what the change wrote (real zizmor, on unjs/ufo's
commit 3c8e8dc7fcfdb6c0492c8351143757658334c23b, "update actions/checkout action to v6"): the
``uses:`` line it changed, not the job around it, whose missing ``permissions:`` block was there
before and was reported as new on every edit inside the job."""

from __future__ import annotations

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.workflows.audit import audit_workflows
from cicd_agent.analysis.workflows.ignores import NO_EXEMPTIONS
from cicd_agent.local.zizmor import audit_each_if_needed
from tests.helpers.diffs import added_file

WORKFLOW = ".github/workflows/ci.yml"
HEAD = """\
name: ci

on:
  push:
    branches:
      - main
  pull_request:
    branches:
      - main

jobs:
  ci:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - run: npm i -fg corepack && corepack enable
      - uses: actions/setup-node@v6
        with:
          node-version: 20
          cache: "pnpm"
      - run: pnpm install
      - run: pnpm lint
      - run: pnpm build
      - run: pnpm vitest --coverage
      - uses: codecov/codecov-action@v5
"""
DIFF = """\
diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml
index 4015ee7..5d4cdab 100644
--- a/.github/workflows/ci.yml
+++ b/.github/workflows/ci.yml
@@ -12,7 +12,7 @@ jobs:
   ci:
     runs-on: ubuntu-latest
     steps:
-      - uses: actions/checkout@v3
+      - uses: actions/checkout@v6
       - run: npm i -fg corepack && corepack enable
       - uses: actions/setup-node@v6
         with:
"""


def test_a_finding_on_the_job_around_a_changed_line_is_not_the_changes() -> None:
    found = audit_workflows(
        parse_diff(DIFF), {WORKFLOW: HEAD}, audit_each_if_needed, NO_EXEMPTIONS
    ).findings
    assert {(f.rule, f.line) for f in found} == {
        ("workflow-unpinned-uses", 15),
        ("workflow-artipacked", 15),
    }
    added = audit_workflows(
        parse_diff(added_file(WORKFLOW, HEAD)),
        {WORKFLOW: HEAD},
        audit_each_if_needed,
        NO_EXEMPTIONS,
    ).findings
    assert "workflow-excessive-permissions" in {f.rule for f in added}  # a new job: its own
