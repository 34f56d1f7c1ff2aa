"""Graph validation and compilation: every rule, with the node and field it names."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from scrapeflow.workflow.compiler import MAX_NODES, Issue, WorkflowInvalid, compile_workflow, validate
from scrapeflow.workflow.nodes import NODE_TYPES

URL = "https://shop.example.com/products"


def node(node_id: str, node_type: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    edges = [
        {"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return {"nodes": list(nodes), "edges": edges}


START = node("start", "start", urls=[URL])
EXTRACT = node("extract", "extract", mode="list", item_selector=".card", fields=[{"name": "title", "selector": "h2"}])


def issues_of(document: dict[str, Any]) -> list[Issue]:
    plan, issues = validate(document)
    assert plan is None
    assert issues
    return issues


def codes(document: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(issue.node_id, issue.code) for issue in issues_of(document)}


def test_a_full_pipeline_compiles_in_stage_order() -> None:
    document = chain(
        START,
        node("map", "map", limit=50, include=["*/products/*"]),
        node("paginate", "paginate", next_selector="a[rel=next]", max_pages=3),
        EXTRACT,
        node("clean", "transform", field="title", ops=[{"op": "trim"}, {"op": "regex", "pattern": r"(\w+)"}]),
        node("cheap", "filter", field="price", op="lt", value=100),
        node("dedupe", "dedupe", keys=["title"], emit="new"),
    )
    document["nodes"].append(node("hook", "export_webhook", destination_id="00000000-0000-0000-0000-000000000001"))
    document["nodes"].append(node("slack", "export_slack", destination_id="00000000-0000-0000-0000-000000000002"))
    document["edges"] += [{"source": "dedupe", "target": "hook"}, {"source": "dedupe", "target": "slack"}]
    plan = compile_workflow(document)
    assert plan.start_urls == [URL]
    assert plan.map_options is not None and plan.map_options.limit == 50
    assert [step.node_id for step in plan.page_steps] == ["paginate", "extract"]
    assert [step.node_id for step in plan.post_steps] == ["clean", "cheap", "dedupe"]
    assert {step.node_id for step in plan.sinks} == {"hook", "slack"}
    assert not plan.needs_browser
    assert not plan.uses_llm


def test_browser_and_llm_needs_are_detected() -> None:
    plan = compile_workflow(chain(START, node("click", "click", selector="button.more"), EXTRACT))
    assert plan.needs_browser
    llm = compile_workflow(chain(START, node("ai", "llm_extract", fields=[{"name": "title"}])))
    assert llm.uses_llm


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"nodes": [], "edges": []}, {(None, "missing_start")}),
        (chain(START, node("start2", "start", urls=[URL])), {("start2", "second_start")}),
        (chain(START, node("x", "teleport")), {("x", "unknown_type")}),
        (
            chain(
                START,
                EXTRACT,
                node("t", "transform", field="title", ops=[{"op": "trim"}]),
                node("e2", "extract", fields=[{"name": "a", "selector": "h1"}]),
            ),
            {("e2", "stage_order")},
        ),
        (chain(START, EXTRACT, node("m", "map")), {("m", "stage_order")}),
        ({"nodes": [START, EXTRACT], "edges": []}, {("extract", "unreachable")}),
        (
            {
                "nodes": [START, EXTRACT, node("e2", "extract", fields=[{"name": "a", "selector": "h1"}])],
                "edges": [{"source": "start", "target": "extract"}, {"source": "start", "target": "e2"}],
            },
            {("start", "branching")},
        ),
    ],
    ids=["empty", "second start", "unknown type", "page after post", "map not after start", "unreachable", "branch"],
)
def test_graph_rules(document: dict[str, Any], expected: set[tuple[str | None, str]]) -> None:
    assert expected <= codes(document)


def test_cycles_are_named_per_node() -> None:
    a = node("a", "transform", field="x", ops=[{"op": "trim"}])
    b = node("b", "transform", field="x", ops=[{"op": "trim"}])
    document = chain(START, EXTRACT, a, b)
    document["edges"].append({"source": "b", "target": "a"})
    found = codes(document)
    assert {("a", "cycle"), ("b", "cycle")} <= found


def test_self_loop_and_dangling_edge() -> None:
    document = chain(START, EXTRACT)
    document["edges"] += [{"source": "extract", "target": "extract"}, {"source": "extract", "target": "ghost"}]
    found = codes(document)
    assert ("extract", "cycle") in found
    assert (None, "dangling_edge") in found


@pytest.mark.parametrize(
    ("bad_node", "field", "phrase"),
    [
        (node("s", "start", urls=["ftp://files.example.com"]), "urls.0", "Only http:// and https://"),
        (node("s", "start", urls=["example.com/page"]), "urls.0", "must start with https://"),
        (node("s", "start", urls=[]), None, "Add at least one URL"),
        (node("x", "extract", fields=[{"name": "t", "selector": "div[class"}]), "fields.0.selector", "not a valid CSS"),
        (
            node("x", "extract", fields=[{"name": "t", "selector": "//h1[", "selector_type": "xpath"}]),
            "fields.0.selector",
            "not a valid XPath",
        ),
        (node("x", "extract", mode="list", fields=[{"name": "t", "selector": "h1"}]), None, "item selector"),
        (node("x", "extract", fields=[]), "fields", None),
        (
            node("x", "extract", fields=[{"name": "t", "selector": "h1"}, {"name": "t", "selector": "h2"}]),
            None,
            "repeated: t",
        ),
        (node("c", "click"), "selector", "required"),
        (
            node("t", "transform", field="p", ops=[{"op": "regex", "pattern": "(a+)+$"}]),
            "ops.0.regex.pattern",
            "could take forever",
        ),
        (
            node("t", "transform", field="p", ops=[{"op": "regex", "pattern": "(unclosed"}]),
            "ops.0.regex.pattern",
            "not a valid pattern",
        ),
        (node("f", "filter", field="p", op="regex", value="([a-z]*)*x"), None, "could take forever"),
        (node("p", "paginate", url_pattern="https://shop.example.com/list?page=1"), None, "{page}"),
        (node("p", "paginate"), None, "'next' link selector"),
        (node("w", "fill", selector="input"), None, "either a value or the name of a secret"),
    ],
)
def test_field_errors_name_the_node_and_field(bad_node: dict[str, Any], field: str | None, phrase: str | None) -> None:
    document = chain(START, bad_node) if bad_node["type"] != "start" else chain(bad_node)
    matching = [issue for issue in issues_of(document) if issue.node_id == bad_node["id"]]
    assert matching, issues_of(document)
    issue = matching[0]
    assert issue.code == "invalid_field"
    if field is not None:
        assert issue.field == field
    if phrase is not None:
        assert phrase in issue.message


def test_compile_raises_with_all_issues() -> None:
    with pytest.raises(WorkflowInvalid) as raised:
        compile_workflow(chain(node("s", "start", urls=["nope"]), node("x", "teleport")))
    assert {issue.code for issue in raised.value.issues} == {"invalid_field", "unknown_type"}


def test_presentation_keys_do_not_matter() -> None:
    document = chain({**START, "selected": True, "data": {**START["data"], "label": "Shop", "color": "red"}}, EXTRACT)
    document["viewport"] = {"zoom": 2}
    assert compile_workflow(document).start_urls == [URL]


@pytest.mark.parametrize("document", [None, [], "nodes", {"nodes": {}, "edges": []}, {"nodes": [1, "x"], "edges": []}])
def test_malformed_documents_are_issues_not_crashes(document: Any) -> None:
    assert validate(document)[1]


def test_huge_graphs_are_refused_fast() -> None:
    nodes = [node(str(i), "transform", field="x", ops=[{"op": "trim"}]) for i in range(10_000)]
    edges = [{"source": str(i), "target": str(i + 1)} for i in range(9_999)]
    started = time.perf_counter()
    issues = issues_of({"nodes": nodes, "edges": edges})
    assert time.perf_counter() - started < 1.0
    assert [issue.code for issue in issues] == ["too_large"]


def test_a_long_valid_chain_compiles_quickly() -> None:
    steps = [node(f"t{i}", "transform", field="title", ops=[{"op": "trim"}]) for i in range(MAX_NODES - 2)]
    started = time.perf_counter()
    plan = compile_workflow(chain(START, EXTRACT, *steps))
    assert time.perf_counter() - started < 2.0
    assert len(plan.post_steps) == MAX_NODES - 2


def test_every_node_example_is_valid() -> None:
    for spec in NODE_TYPES.values():
        spec.data.model_validate(spec.example)
