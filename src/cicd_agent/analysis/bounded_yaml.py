"""The one YAML loader for text a pull request or a user controls: bounded in bytes, nodes and time.

PyYAML composes an alias as a second reference to the anchored node, so a 15-line file of nested
aliases ("billion laughs") or an alias to its own parent is small, yet every walk over it visits
billions of nodes or never ends. This loader counts each node as often as aliases expand it, and
raises :class:`YamlLimitError` past ``max_bytes`` (checked before the scanner reads a character),
``max_nodes`` expanded, a recursive alias, ``max_depth`` (PyYAML's composer recurses per level)
or ``max_seconds``. Every ``yaml`` load in the package goes through here."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from itertools import accumulate

import yaml

_BRACKETS = re.compile(r"[\[\]{}]")


class YamlLimitError(ValueError):
    """The document exceeds a limit; the message says which, in words a user can act on."""


@dataclass(frozen=True)
class YamlLimits:
    """Generous for any real workflow or configuration file (GitHub's largest real-world
    workflows are a few hundred KB and a few thousand nodes), tiny for an attack."""

    max_bytes: int = 1024 * 1024
    max_nodes: int = 200_000
    max_depth: int = 100
    max_seconds: float = 5.0


DEFAULT_LIMITS = YamlLimits()


def one_line(exc: yaml.YAMLError, path: str) -> str:
    """A parse error as one ``path:line: problem`` line (PyYAML's own message is a 7-line dump
    of marks and carets)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"{path}: {' '.join(str(exc).split())}"
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}" if mark is not None else path
    problem = " ".join(str(exc.problem or exc.context or "not valid YAML").split())
    context = " ".join(str(exc.context or "").split())
    if context and exc.problem and exc.context_mark is not None:
        context = f"{context} started on line {exc.context_mark.line + 1}"
    return f"{where}: {problem}" + (f" ({context})" if context and exc.problem else "")


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer weighs every node as its alias-expanded size."""

    def __init__(self, text: str, limits: YamlLimits) -> None:
        super().__init__(text)
        self._limits = limits
        self._deadline = time.monotonic() + limits.max_seconds
        self._weights: dict[int, int] = {}
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if time.monotonic() > self._deadline:
            raise YamlLimitError(
                f"parsing took longer than {self._limits.max_seconds:g} s and was stopped"
            )
        if self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            target = self.anchors.get(anchor)
            if target is not None and id(target) not in self._weights:
                raise YamlLimitError(f"alias *{anchor} refers to a node that contains it")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise YamlLimitError(f"nested deeper than {self._limits.max_depth} levels")
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._weigh(node)
        return node

    def _weigh(self, node: yaml.Node) -> None:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        weight = 1 + sum(self._weights.get(id(child), 1) for child in children)
        if weight > self._limits.max_nodes:
            raise YamlLimitError(
                f"expands to more than {self._limits.max_nodes:,} nodes once its aliases are "
                "followed"
            )
        self._weights[id(node)] = weight


def compose(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> yaml.Node | None:
    """The node graph of a single-document ``text`` (None when it is empty).

    Raises YamlLimitError past a limit and yaml.YAMLError for text that is not YAML.
    """
    # A character is at least one byte: only text near the limit needs encoding to be measured.
    size = len(text) if len(text) > limits.max_bytes else len(text.encode("utf-8", "replace"))
    if size > limits.max_bytes:
        raise YamlLimitError(f"larger than the {limits.max_bytes:,}-byte limit")
    if _bracket_depth(text) > limits.max_depth * 10:
        raise YamlLimitError(f"nested deeper than {limits.max_depth} levels")
    loader = _BoundedLoader(text, limits)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except RecursionError:
        raise YamlLimitError("nested too deeply to parse") from None
    finally:
        loader.dispose()


def _bracket_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting of the raw text: PyYAML's scanner looks ahead through
    every open flow bracket before the composer sees a node, so 50,000 of them cost seconds
    before the depth limit applies. Brackets in strings make this an over-count, hence the
    generous margin."""
    steps = (1 if char in "[{" else -1 for char in _BRACKETS.findall(text))
    return max(accumulate(steps), default=0)


class _Constructor(yaml.SafeLoader):
    """SafeLoader's data, with no int larger than a decimal one Python can print: ``0x`` and
    ``0o`` forms have no digit limit, and a message quoting one would crash the run."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value: int = super().construct_yaml_int(node)
        if value.bit_length() > _MAX_INT_BITS:
            raise ValueError("an integer too large to print")
        return value


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)


class _UniqueKeys(_Constructor):
    """:class:`_Constructor` in which a key written twice in one mapping is an error. PyYAML
    keeps the last of two equal keys, so a section appended at the end of a settings file
    (``review:`` again, its diff only added lines) replaces the whole section above it. A
    merge key (``<<: *base``) is no duplicate: an explicit key overrides what it merges."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                twice = key in seen
                seen.add(key)
            except TypeError:  # unhashable: SafeLoader's own error says so below
                continue
            if twice:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {str(key)[:80]!r} is written twice", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


_MAX_INT_BITS = 14_000
"""About 4,200 decimal digits: under Python's default limit of 4,300."""


def load(text: str, limits: YamlLimits = DEFAULT_LIMITS, *, unique_keys: bool = False) -> object:
    """``yaml.safe_load`` within ``limits``: plain Python data, or YamlLimitError/YAMLError
    (``unique_keys``: also for a key written twice in one mapping)."""
    node = compose(text, limits)
    if node is None:
        return None
    constructor = (_UniqueKeys if unique_keys else _Constructor)("")
    try:
        return constructor.construct_document(node)
    except ValueError:  # an int of more digits than Python reads (4,300), a 30 February
        raise YamlLimitError(
            "it holds a value that cannot be read (a number over 4,300 digits, or a date "
            "that does not exist)"
        ) from None
    finally:
        constructor.dispose()


def load_text(text: str, *, unique_keys: bool = False) -> object:
    """:func:`load` within the default limits: how a mode reads YAML a pull request or a
    workflow wrote (the limits are the core's to set, not a mode's)."""
    return load(text, unique_keys=unique_keys)
