"""How review's suggestion check fares when an eslint fix is also checked against the file's
JavaScript tests: how many eslint suggestions get tests by name, how many the check
withholds, and the CPU a review takes.

Run: ``PATH=ESLINT_BIN:$PATH python -m research.review.js_tests_checked MIRRORS WORK OUT.json``
with ``NODE_BIN`` (the ``node_modules`` holding jest 29 and vitest 2) and ``BABEL_BIN`` (a
``node_modules`` holding ``@babel/preset-env``, which javascript-algorithms' ``.babelrc`` names)
in the environment; MIRRORS holds each project's git directory as ``<owner>+<name>/repo``.

Frozen before any score was seen: :data:`CASES`, the five latest first-parent commits of each
project that modify a non-test ``.js`` file with a test of its name (TheAlgorithms/JavaScript:
``<dir>/test/<name>.test.js``, vitest; trekhleb/javascript-algorithms:
``<dir>/__test__/<name>.test.js``, jest), and the eslint configuration of
``eslint_fixes_checked`` (:data:`PROBE`, core rules with autofixes), prepared the same way: the
base lacks the commit's changed non-test ``.js`` files and the head adds them, so every fix in
them is on an added line. The projects' ``npm ci`` is stood in for by links in the checkout's
``node_modules`` to the runner (and babel's preset): the repository's own runner, as review
finds it. CPU seconds: the review and all its children.
"""

from __future__ import annotations

import os
from pathlib import Path

from research.review import eslint_fixes_checked

CASES = (
    ("TheAlgorithms+JavaScript", "08d8c6b6749c06a36fab705a8cf16e9a04d46a8e"),
    ("TheAlgorithms+JavaScript", "19ecb18f0af35a83542410e59c16975bd8ddd4c3"),
    ("TheAlgorithms+JavaScript", "1d252d7acae4ac46a3fc5d972c068cb95688c2f7"),
    ("TheAlgorithms+JavaScript", "a62a46e732798622b520769c9c1131a052721ca2"),
    ("TheAlgorithms+JavaScript", "85a55daf49533b9fd558e52f13603a904613e4f2"),
    ("trekhleb+javascript-algorithms", "0f52fbaced5d33041a5a834f72f880a9262bcb82"),
    ("trekhleb+javascript-algorithms", "dc12f1f5da2804a649e1dabe3d6581147776cdd4"),
    ("trekhleb+javascript-algorithms", "7563da8c1a673a8d30d24b86a347adc2688d2fac"),
    ("trekhleb+javascript-algorithms", "0ae5dd8becd841a780c4183cba416c2c8417a05b"),
    ("trekhleb+javascript-algorithms", "4ed3123b6e017cad12f0f72ba97825e2c10a12ec"),
)
RUNNER = {"TheAlgorithms+JavaScript": "vitest", "trekhleb+javascript-algorithms": "jest"}


def _install(place: Path, runner: str) -> None:
    """The checkout's ``node_modules`` as its ``npm ci`` would leave the parts review uses."""
    node, babel = Path(os.environ["NODE_BIN"]), Path(os.environ["BABEL_BIN"])
    (place / "node_modules" / ".bin").mkdir(parents=True, exist_ok=True)
    links = {f".bin/{runner}": node / ".bin" / runner, runner: node / runner,
             "@babel/preset-env": babel / "@babel" / "preset-env"}  # fmt: skip
    for name, target in links.items():
        link = place / "node_modules" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target)


def main() -> None:
    eslint_fixes_checked.main(CASES, lambda place, project: _install(place, RUNNER[project]))


if __name__ == "__main__":
    main()
