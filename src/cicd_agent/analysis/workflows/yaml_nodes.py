"""Walking a composed workflow: the node helpers the pwn-request rule and the fallback share.

They read the node tree of the bounded loader (``analysis.bounded_yaml``), not Python objects,
because findings need line numbers, and a node tree keeps each aliased node once.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml


def mapping_items(node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(key, value) of a mapping whose keys are scalars; nothing for any other node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield str(key.value), value


def walk(node: yaml.Node) -> Iterator[yaml.Node]:
    """Every node once, depth first (the bounded loader rejected recursive documents, and an
    aliased node is visited once, not once per alias)."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += [value, key]
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))


def scalar_lines(node: yaml.Node) -> range:
    """1-based file lines a scalar spans. A block scalar (``|``, ``>``) ends at column 0 of
    the line after its last line, which must not count (it may be the next key)."""
    start, end = node.start_mark, node.end_mark
    last = end.line if end.column == 0 and end.line > start.line else end.line + 1
    return range(start.line + 1, last + 1)
