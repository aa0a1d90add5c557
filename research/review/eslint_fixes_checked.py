"""How review's suggestion check fares on eslint's own fixes in real JavaScript: how
many fixes become suggestions, how many the check (eslint again with the fix, in the sandbox)
withholds, and the CPU a review takes.

Run: ``PATH=ESLINT_BIN:$PATH python -m research.review.eslint_fixes_checked MIRRORS WORK OUT.json``
where MIRRORS holds each project's git directory as ``<owner>+<name>/repo`` and ESLINT_BIN the
folder with eslint 9.

Frozen before any score was seen: :data:`CASES` and :data:`PROBE`. The projects' own eslint
configurations load plugins that are not installed here (and pass on their own commits), so
each base commits :data:`PROBE` as ``eslint.config.mjs``: core rules only, each with an
autofix. As in ``suggestions_checked.py --whole-files``, the base lacks the commit's changed
non-test ``.js`` files and the head adds them as the commit left them, so every fix in them is on
an added line (review checks at most 10 a review). CPU seconds: the review and all its children.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from research.review.suggestions_checked import _git, _review

CASES = (
    ("axios+axios", "23a25af0688d1db2c396deb09229d2271cc24f6c"),
    ("axios+axios", "32c7bcc0f233285ba27dec73a4b1e81fb7a219b3"),
    ("axios+axios", "7aae04d29225207ab97a383094f590619358dd13"),
    ("mochajs+mocha", "867e17566beb8f7077e969e9c58e9383bcf6d657"),
    ("mochajs+mocha", "bf76999b2b2a99a4442aba34a4ceaa3679898806"),
    ("mochajs+mocha", "ffdf37c513481856ee953a9c1ae6418cf435634a"),
    ("handlebars-lang+handlebars.js", "13a7a679910d2adbfe7f6fad61ce8f98426b0378"),
    ("handlebars-lang+handlebars.js", "db06ebbbfc44459b56aa27f175630353c70913ab"),
    ("handlebars-lang+handlebars.js", "3105ca73c1d48581c1fea4375cff51f92bbd43ae"),
)
PROBE = """\
export default [{
  files: ["**/*.js", "**/*.mjs"],
  languageOptions: { ecmaVersion: "latest", sourceType: "module" },
  rules: {
    "prefer-const": "error", "no-var": "error", "object-shorthand": "error",
    "prefer-template": "error", "prefer-arrow-callback": "error", "arrow-body-style": "error",
    "curly": "error", "dot-notation": "error", "no-extra-boolean-cast": "error",
    "no-useless-rename": "error", "no-else-return": "error", "yoda": "error",
    "operator-assignment": "error", "no-unneeded-ternary": "error", "no-lonely-if": "error",
    "prefer-object-spread": "error", "no-useless-computed-key": "error",
    "prefer-exponentiation-operator": "error", "no-unused-vars": "error",
  },
}];
"""


def _prepare(mirrors: Path, work: Path, project: str, commit: str) -> tuple[str, str, Path]:
    place = work / f"{project}-{commit[:10]}"
    if place.exists():
        return _git(place, "rev-parse", "HEAD^"), _git(place, "rev-parse", "HEAD"), place
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirrors / project / "repo"),
                    str(place)], check=True)  # fmt: skip
    _git(place, "-c", "advice.detachedHead=false", "checkout", "-q", f"{commit}^")
    (place / "eslint.config.mjs").write_text(PROBE)
    _git(place, "add", "-f", "eslint.config.mjs")
    changed = _git(place, "diff", "--name-only", "--diff-filter=M", commit + "^", commit)
    sources = [p for p in changed.split() if p.endswith(".js") and "test" not in p]
    _git(place, "rm", "-q", *sources)
    who = ("-c", "user.name=eval", "-c", "user.email=eval@example.com")
    _git(place, *who, "commit", "-q", "-m", "eval setup")
    touched = _git(place, "diff", "--name-only", "--diff-filter=AM", commit + "^", commit)
    _git(place, "checkout", commit, "--", *touched.split())
    _git(place, *who, "commit", "-q", "-m", "the commit's files")
    return _git(place, "rev-parse", "HEAD^"), _git(place, "rev-parse", "HEAD"), place


def main(
    cases: tuple[tuple[str, str], ...] = CASES, installed: Callable[[Path, str], None] | None = None
) -> None:
    """Review each of ``cases`` and write a row each; ``installed`` prepares a checkout further
    (its place and project) before its review."""
    mirrors, work, out = (Path(a) for a in sys.argv[1:4])
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for project, commit in cases:
        base, head, place = _prepare(mirrors, work, project, commit)
        if installed is not None:
            installed(place, project)
        found = _review(place, base, head)
        document = found.pop("document")
        assert isinstance(document, dict)
        findings = document.get("findings", [])
        row = {"project": project, "commit": commit, **found,
               "eslint_findings": sum(str(f["rule"]).startswith("eslint/") for f in findings),
               "posted": [(f["rule"], f["path"], f["line"], f["checked"]) for f in findings
                          if f.get("suggestion") is not None],
               "notes": [n for n in document.get("notes", []) if "suggestion" in n],
               "tools": document.get("tools", [])}  # fmt: skip
        print(json.dumps(row), flush=True)
        results.append(row)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
