"""Cut GitHub's public GraphQL schema down to the fields cicd-agent asks for.

The whole schema is 1.2 MB and takes about two CPU-seconds to load; the GraphQL mock
(``graphql_mock.py``) validates every query against this subset instead. Every kept field,
argument, input object and enum is copied from GitHub's definition unchanged (descriptions and
directives dropped), so a query valid here is valid on GitHub; a field not kept fails
validation, which is the point: a new query needs its fields added to ``KEEP`` first.

Regenerate (the schema comes from npm ``@octokit/graphql-schema``, file ``schema.graphql``):

    npm pack @octokit/graphql-schema@VERSION && tar -xzf octokit-graphql-schema-*.tgz
    python -m tests.harness.graphql_subset package/schema.graphql VERSION
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeNode,
    parse,
    print_ast,
)

SUBSET = Path(__file__).with_name("github-graphql.graphql")

KEEP: dict[str, tuple[str, ...]] = {
    "Query": ("repository",),
    "Mutation": ("resolveReviewThread", "minimizeComment"),
    "Repository": ("pullRequest",),
    "PullRequest": ("reviewThreads", "reviews"),
    "PullRequestReviewConnection": ("nodes", "pageInfo"),
    "PullRequestReview": ("id", "databaseId", "isMinimized", "viewerCanMinimize"),
    "PullRequestReviewThreadConnection": ("nodes", "pageInfo"),
    "PageInfo": ("hasNextPage", "endCursor"),
    "PullRequestReviewThread": ("id", "isResolved", "viewerCanResolve", "comments"),
    "PullRequestReviewCommentConnection": ("nodes",),
    "PullRequestReviewComment": ("id", "databaseId", "isMinimized", "viewerCanMinimize"),
    "Minimizable": ("isMinimized", "viewerCanMinimize"),
    "ResolveReviewThreadPayload": ("thread",),
    "MinimizeCommentPayload": ("minimizedComment",),
}
"""Object and interface types, each with the fields kept (GitHub's full definition of each)."""

_BUILT_IN = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def _named(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    return str(node.name.value)  # type: ignore[attr-defined]


def _bare(node: Any, **changes: Any) -> Any:
    """``node`` without its description and directives (their definitions are not kept)."""
    fields = {k: getattr(node, k) for k in node.keys if k != "loc"}
    fields.update(description=None, directives=(), **changes)
    for key in ("fields", "arguments", "values"):
        if fields.get(key):
            fields[key] = tuple(_bare(child) for child in fields[key])
    return type(node)(**{k: v for k, v in fields.items() if k in node.keys})


def subset(schema: str) -> str:
    """The SDL of the kept types; raises when GitHub's schema lacks a kept field."""
    definitions = {d.name.value: d for d in parse(schema).definitions if hasattr(d, "name")}
    kept: dict[str, Any] = {}
    pending = list(KEEP)
    while pending:
        name = pending.pop()
        if name in kept or name in _BUILT_IN:
            continue
        node = definitions[name]
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            if name not in KEEP:
                raise SystemExit(f"{name} is reached but not in KEEP: add it with its fields")
            by_name = {f.name.value: f for f in node.fields}
            missing = [f for f in KEEP[name] if f not in by_name]
            if missing:
                raise SystemExit(f"GitHub's {name} has no field {', '.join(missing)}")
            fields = [by_name[f] for f in KEEP[name]]
            interfaces = tuple(i for i in node.interfaces or () if i.name.value in KEEP)
            kept[name] = _bare(node, fields=tuple(fields), interfaces=interfaces)
            for field in fields:
                pending.append(_named(field.type))
                pending += [_named(arg.type) for arg in field.arguments or ()]
        elif isinstance(node, InputObjectTypeDefinitionNode):
            kept[name] = _bare(node)
            pending += [_named(f.type) for f in node.fields]
        elif isinstance(node, EnumTypeDefinitionNode | ScalarTypeDefinitionNode):
            kept[name] = _bare(node)
        else:
            raise SystemExit(f"{name}: a {type(node).__name__} is not handled")
    return print_ast(DocumentNode(definitions=tuple(kept[k] for k in sorted(kept))))


def main(argv: list[str]) -> None:
    source, version = Path(argv[0]), argv[1]
    header = (
        f"# GitHub's public GraphQL schema (npm @octokit/graphql-schema {version}, "
        "schema.graphql),\n# cut to the fields cicd-agent uses by tests/harness/graphql_subset.py."
        "\n\n"
    )
    SUBSET.write_text(header + subset(source.read_text(encoding="utf-8")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
