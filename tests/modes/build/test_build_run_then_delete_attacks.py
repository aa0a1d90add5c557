"""Attacks on the run-then-delete advice: the Dockerfile and what its RUN lines write are the
pull request's."""

from __future__ import annotations

from collections import Counter
from collections.abc import ItemsView
from pathlib import Path

from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.rules import candidates
from cicd_agent.modes.build.tree import Entry
from cicd_agent.modes.build.types import Source
from tests.modes.build.test_build_advice_rules import built

READS: Counter[int] = Counter()


class Counted(dict[str, Entry]):
    """A layer's files that count each full read of them, by the layer's index."""

    index = 0

    def items(self) -> ItemsView[str, Entry]:
        READS[self.index] += 1
        return super().items()


def test_attack_many_run_lines_do_not_read_each_layers_files_once_per_later_run() -> None:
    """Each RUN's files were summed once for every later RUN (every pair): a Dockerfile of a few
    hundred RUN lines, each writing thousands of files and deleting one, held the host's core
    after the build, with nothing on stderr, for a time growing with the square of the RUN lines
    (100 of 2,000 files each: 40 s). Each layer's files are read once."""
    runs = 40
    text = "FROM debian:12\n" + "".join(f"RUN step{n}\n" for n in range(runs)) + "RUN rm /d3\n"
    layers: list[dict[str, bytes | str | None]] = [{"bin/sh": b"sh"}]
    layers += [{f"d{n}/f{m}": b"x" * (n + 1) for m in range(20)} | {f"gone{n}": None}
               for n in range(runs)]  # fmt: skip
    layers.append({"d3": None})
    head = built(text, layers)
    for layer in head.tree.layers:
        counted = Counted(layer.entries)
        counted.index = layer.index
        vars(layer)["entries"] = counted
    READS.clear()
    source = Source(Path(), Path(), Path(), text, parse(text))
    (found,) = [c for c in candidates(source, None, head) if c.rule == "run-then-delete"]
    assert found.line == 5  # RUN step3: its files are the ones a later RUN deletes
    assert max(READS.values()) <= 2, READS.most_common(3)
