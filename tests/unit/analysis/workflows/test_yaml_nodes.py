"""The node helpers the workflow rules share: an aliased node is walked once, and a block
scalar's lines stop before the key that follows it."""

from __future__ import annotations

import yaml

from cicd_agent.analysis.bounded_yaml import compose
from cicd_agent.analysis.workflows.ours import mapping_items, scalar_lines, walk


def _root(text: str) -> yaml.Node:
    root = compose(text)
    assert root is not None
    return root


def test_mapping_items_are_the_scalar_keyed_pairs_only() -> None:
    root = _root("a: 1\n? [x]\n: 2\nb: [3]\n")
    assert [key for key, _ in mapping_items(root)] == ["a", "b"]
    assert list(mapping_items(_root("[1, 2]"))) == []


def test_walk_visits_each_node_once_aliases_included() -> None:
    root = _root("base: &b {x: 1}\none: *b\ntwo: *b\n")
    scalars = [node.value for node in walk(root) if isinstance(node, yaml.ScalarNode)]
    assert sorted(scalars) == ["1", "base", "one", "two", "x"]  # x: 1 once, not once per alias


def test_a_block_scalar_spans_its_own_lines_not_the_next_key() -> None:
    text = "run: |\n  echo one\n  echo two\nnext: 1\n"
    run = dict(mapping_items(_root(text)))["run"]
    assert list(scalar_lines(run)) == [1, 2, 3]
    plain = dict(mapping_items(_root("run: echo one\nnext: 1\n")))["run"]
    assert list(scalar_lines(plain)) == [1]
