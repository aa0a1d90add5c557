"""One regex for the lines that open a definition: the description names them, packing finds the
head above a hunk. Lines are shaped after real code (flask, gin, axios, zizmor)."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.definitions import definition_name, starts_definition


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("def compute(a, b):", "compute"),
        ("    async def handler(event):", "handler"),
        ("class Store(Base):", "Store"),
        (
            "func (engine *Engine) ServeHTTP(w http.ResponseWriter, req *http.Request) {",
            "ServeHTTP",
        ),
        ("pub(crate) fn parse(input: &str) -> Result<Expr> {", "parse"),
        ("impl PartialEq for Identifier<'_> {", "PartialEq"),
        ("export default async function* pages(client) {", "pages"),
        ("export abstract class Content {", "Content"),
        ("const handleError = (error: axios.AxiosError) => {", "handleError"),
        ("defmodule Shop.Cart do", "Shop"),
    ],
)
def test_a_definition_by_keyword_or_arrow_is_named(line: str, name: str) -> None:
    assert definition_name(line) == name
    assert starts_definition(line)


@pytest.mark.parametrize(
    "line",
    [
        "public static <T> List<T> of(T first,",
        "    private handleResponse(response) {",
        "override fun onCreate(savedInstanceState: Bundle?) {",
        "    pub args: Vec<SpannedExpr<'src>>,",
    ],
)
def test_a_type_led_signature_or_a_members_modifier_starts_a_head_without_a_name(
    line: str,
) -> None:
    assert starts_definition(line)
    assert definition_name(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "    result = store.get(key);",
        "object will not work with :meth:`from_object` because the keys of a",
        "defined = True",
        "export default RepoBot;",
        "",
    ],
)
def test_calls_prose_and_statements_open_nothing(line: str) -> None:
    assert definition_name(line) is None
    assert not starts_definition(line)


def test_a_call_is_never_named_though_packing_cannot_tell_it_from_a_signature() -> None:
    # ``return compute(x)`` has the shape of ``int compute(x)``: only packing, which asks of
    # lines indented less than the change, takes it; the description never names it.
    assert definition_name("    return compute(x)") is None
    assert starts_definition("    return compute(x)")
