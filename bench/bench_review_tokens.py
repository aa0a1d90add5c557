"""Review's token efficiency on reference pull requests: prompt tokens sent against the naive
alternative (the whole raw ``git diff`` with the same instructions), model calls, and how many
changed lines were shown.

Run: ``python bench/bench_review_tokens.py`` (``--json``: the figures for ``bench/run.py``).
Deterministic: no model is called.

Each reference pull request is built as a real git repository; review's own code
(:func:`cicd_agent.modes.review.prompt.prepare_calls`) builds the prompts it would send to gpt-5.4
with three calls at most, and everything is counted with the model's tokenizer. "Sent" is the
whole prompt (system, pull request text, fenced diff, the answer's schema) over all calls;
"naive" is one prompt with the same fixed parts and the whole raw diff instead of ours.
"Lines shown" is the share of added lines of reviewable files that appear, numbered, in some
prompt: the recall proxy (a line the model never sees cannot be reviewed).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import (  # noqa: E402
    Figure,
    emit,
    figure,
    prompt_share_figures,
    tokenizer_note,
    use_tiktoken_cache,
)
from tests.git_builder import GitRepoBuilder  # noqa: E402

from cicd_agent.analysis.diff import Diff  # noqa: E402
from cicd_agent.analysis.findings import deterministic_audit  # noqa: E402
from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.analysis.workflows import NO_EXEMPTIONS  # noqa: E402
from cicd_agent.local.checkout import GitCheckout  # noqa: E402
from cicd_agent.model.tokens import TokenCounter, prompt_budget  # noqa: E402
from cicd_agent.modes.review.answer import ReviewAnswer  # noqa: E402
from cicd_agent.modes.review.prompt import prepare_calls  # noqa: E402
from cicd_agent.modes.review.types import (  # noqa: E402
    HeadFiles,
    PublishPlan,
    ReviewFacts,
)

MODEL = "gpt-5.4"
MAX_CALLS = 3
RESERVED_OUTPUT = 16_384
TARGET_PERCENT = 25.0


@dataclass(frozen=True)
class Row:
    name: str
    files: int
    raw_diff_tokens: int
    diff_tokens_sent: int
    sent_tokens: int
    naive_tokens: int
    ratio: float
    calls: int
    lines_shown: float


def _module(rng: random.Random, functions: int, name: str) -> str:
    lines = [f'"""{name}: generated reference module."""', "", "import logging", ""]
    for n in range(functions):
        lines += [
            f"def {name}_step_{n}(items, limit={n + 1}):",
            f'    """Process step {n} of the {name} pipeline."""',
            "    result = []",
            "    for item in items:",
            f"        if item.value > limit * {rng.randint(2, 9)}:",
            f"            logging.info('skip %s in step {n}', item.key)",
            "            continue",
            f"        result.append(item.transform(scale={rng.randint(1, 5)}))",
            "    return result",
            "",
        ]
    return "\n".join(lines) + "\n"


def _edit(text: str, rng: random.Random, edits: int) -> str:
    lines = text.splitlines()
    for _ in range(edits):
        index = rng.randrange(4, len(lines))
        if "scale=" in lines[index]:
            lines[index] = lines[index].replace("scale=", "scale=factor * ")
        else:
            lines.insert(index, "        logging.debug('checkpoint %d', len(result))")
    return "\n".join(lines) + "\n"


def _lockfile(rng: random.Random, packages: int) -> str:
    entries = [
        f'    "node_modules/pkg-{n}": {{\n      "version": "{rng.randint(1, 9)}.{rng.randint(0, 20)}.0",\n'
        f'      "resolved": "https://registry.npmjs.org/pkg-{n}/-/pkg-{n}.tgz",\n'
        f'      "integrity": "sha512-{rng.getrandbits(256):064x}"\n    }}'
        for n in range(packages)
    ]
    return '{\n  "lockfileVersion": 3,\n  "packages": {\n' + ",\n".join(entries) + "\n  }\n}\n"


def bugfix(repo: GitRepoBuilder, rng: random.Random) -> tuple[str, str]:
    text = _module(rng, 40, "billing")
    base = repo.commit("base", {"src/billing.py": text})
    return base, repo.commit("fix", {"src/billing.py": _edit(text, rng, 3)})


def feature_with_lockfile(repo: GitRepoBuilder, rng: random.Random) -> tuple[str, str]:
    base = repo.commit("base", {"package-lock.json": _lockfile(rng, 300), "README.md": "# app\n"})
    head = repo.commit(
        "feature",
        {
            "src/exporter.py": _module(rng, 12, "exporter"),
            "tests/test_exporter.py": _module(rng, 6, "test_exporter"),
            "package-lock.json": _lockfile(rng, 320),
            "README.md": "# app\n\nNow with an exporter.\n",
        },
    )
    return base, head


def refactor(repo: GitRepoBuilder, rng: random.Random) -> tuple[str, str]:
    files = {f"src/pkg/m{n}.py": _module(rng, 8, f"m{n}") for n in range(8)}
    files["src/old_core.py"] = _module(rng, 30, "core")
    files["src/legacy.py"] = _module(rng, 25, "legacy")
    base = repo.commit("base", files)
    repo.git("mv", "src/old_core.py", "src/core.py")
    edits = {
        path: _edit(text, rng, 2) for path, text in files.items() if path.startswith("src/pkg")
    }
    edits["src/core.py"] = _edit(files["src/old_core.py"], rng, 4)
    return base, repo.commit("refactor", edits, remove=("src/legacy.py",))


def regenerated(repo: GitRepoBuilder, rng: random.Random) -> tuple[str, str]:
    base = repo.commit(
        "base", {"api/service.proto": 'syntax = "proto3";\n', "src/use.py": "x = 1\n"}
    )
    generated = (
        "\n".join(f"_DESC_{n} = b'{rng.getrandbits(400):0100x}'" for n in range(1500)) + "\n"
    )
    bundle = "".join(f"function f{n}(a){{return a*{n}}}" for n in range(4000)) + "\n"
    head = repo.commit(
        "regenerate",
        {
            "api/service.proto": 'syntax = "proto3";\nmessage Ping { string id = 1; }\n',
            "api/service_pb2.py": generated,
            "web/dist/app.min.js": bundle,
            "src/use.py": "from api import service_pb2\n\nx = service_pb2.Ping(id='a')\n",
        },
    )
    return base, head


def large(repo: GitRepoBuilder, rng: random.Random) -> tuple[str, str]:
    files = {f"src/area{n % 20}/mod{n}.py": _module(rng, 6, f"mod{n}") for n in range(400)}
    base = repo.commit("base", files)
    return base, repo.commit("sweep", {p: _edit(t, rng, 6) for p, t in files.items()})


REFERENCES: dict[str, Callable[[GitRepoBuilder, random.Random], tuple[str, str]]] = {
    "bug fix (3 edits in one module)": bugfix,
    "feature + lockfile + docs": feature_with_lockfile,
    "refactor: rename, delete, 8 edits": refactor,
    "regenerated protobuf + bundle": regenerated,
    "400-file sweep (over budget)": large,
}


def measure(
    name: str, repo: GitCheckout, base: str, head: str, incremental_from: str | None = None
) -> Row:
    counter = TokenCounter.for_model(MODEL)
    redactor = Redactor()
    full = repo.diff(base, head)
    reviewed = repo.diff(incremental_from, head, three_dot=False) if incremental_from else full
    facts = ReviewFacts(
        diff=full,
        review_diff=reviewed,
        plan=PublishPlan(number=None, head=repo.resolve(head)),
        sources=HeadFiles(repo, repo.resolve(head)),
        title="Reference pull request",
        body="Benchmark input.",
        commits=repo.commit_messages(repo.merge_base(base, head), head),
        incremental_from=incremental_from,
    )
    findings = deterministic_audit(full, {}, None, NO_EXEMPTIONS)[0]
    budget = prompt_budget(MODEL, None, RESERVED_OUTPUT)
    prompt, packing, users = prepare_calls(
        facts,
        findings,
        counter=counter,
        call_budget=budget,
        max_calls=MAX_CALLS,
        redact=redactor.redact,
    )
    schema = counter.count(json.dumps(ReviewAnswer.model_json_schema()))
    sent = sum(counter.count(prompt.system) + counter.count(user) + schema for user in users)
    diff_sent = sum(counter.count(packing.diff_text(i, counter.count)) for i in range(len(users)))
    naive_from = incremental_from or base
    raw_text = repo.diff_text(naive_from, head, three_dot=incremental_from is None)
    raw = counter.count(raw_text)
    naive = counter.count(prompt.system) + counter.count(prompt.user(raw_text)) + schema
    return Row(
        name,
        len(reviewed.files),
        raw,
        diff_sent,
        sent,
        naive,
        round(sent / naive, 3),
        len(users),
        _lines_shown(reviewed, "\n".join(users)),
    )


def _lines_shown(diff: Diff, prompts: str) -> float:
    shown = total = 0
    for changed in diff.files:
        if changed.listed_only:
            continue
        for number, text in changed.added_lines():
            total += 1
            shown += f"{number:>5} + {text}\n" in prompts
    return round(shown / total, 3) if total else 1.0


def figures(rows: list[Row]) -> list[Figure]:
    """The issue's token figures over the reference PRs, with what keeps them above target."""
    counter = TokenCounter.for_model(MODEL)
    how = (
        f"{len(rows)} reference PRs built as git repos, {MODEL} (≤ {MAX_CALLS} calls), "
        + tokenizer_note(counter.encoding_name, counter.exact)
    )
    over = [row for row in rows if row.ratio * 100 > TARGET_PERCENT]
    obstacle = "; ".join(
        f"{row.name}: {row.ratio:.0%} (diff sent {row.diff_tokens_sent:,} vs raw "
        f"{row.raw_diff_tokens:,} tokens, fixed parts {row.sent_tokens - row.diff_tokens_sent:,})"
        for row in over
    ) + (
        ". Review sends every reviewable changed line that fits the budget, numbered, with "
        "enclosing-function context: on small PRs that context, the line numbers and the fixed "
        "parts (instructions, schema, PR text) outweigh the raw diff; on big ones everything "
        "that fits is sent, for recall. It falls far below the raw diff only where lockfiles, "
        "generated files and deletions are left out. 25 % on ordinary PRs would mean hiding "
        "changed lines from the model, i.e. lower recall"
    )
    return [
        *prompt_share_figures(
            "review", "PR", rows, [row.ratio * 100 for row in rows], TARGET_PERCENT, how, obstacle,
            "share of added lines of reviewable files that appear, numbered, in a prompt",
        ),
        figure("review: model calls per run", "", [row.calls for row in rows],
               f"≤ {MAX_CALLS} (max-model-calls)", lambda v: v <= MAX_CALLS),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    use_tiktoken_cache()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, build) in enumerate(REFERENCES.items()):
            builder = GitRepoBuilder(Path(folder) / f"pr{index}")
            base, head = build(builder, random.Random(index))
            rows.append(measure(name, GitCheckout(builder.path), base, head))
        # A synchronize: the feature PR gets one more commit after its first review.
        builder = GitRepoBuilder(Path(folder) / "sync")
        base, reviewed = feature_with_lockfile(builder, random.Random(1))
        head = builder.commit(
            "follow-up",
            {
                "src/exporter.py": _edit(
                    (builder.path / "src/exporter.py").read_text(), random.Random(9), 3
                )
            },
        )
        rows.append(
            measure(
                "synchronize: only the new commit", GitCheckout(builder.path), base, head, reviewed
            )
        )
    if args.json:
        emit(figures(rows))
        return
    print(f"model {MODEL}, at most {MAX_CALLS} calls; tokens counted with its tokenizer")
    print(
        "| reference PR | files | raw diff | diff sent | prompt sent | naive prompt | "
        "sent / naive | calls | added lines shown |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.files} | {row.raw_diff_tokens:,} | {row.diff_tokens_sent:,} | "
            f"{row.sent_tokens:,} | {row.naive_tokens:,} | {row.ratio:.0%} | {row.calls} | "
            f"{row.lines_shown:.0%} |"
        )
    sent = sum(r.sent_tokens for r in rows)
    naive = sum(r.naive_tokens for r in rows)
    print(f"| **all** | | | | {sent:,} | {naive:,} | {sent / naive:.0%} | | |")


if __name__ == "__main__":
    main()
