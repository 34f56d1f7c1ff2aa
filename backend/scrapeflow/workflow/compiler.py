"""Validate a React Flow document and compile it into a Plan.

Each rule is a small function that returns issues `(node_id, field, code, message)`; every
rule runs (as far as the graph allows) so the editor can show all problems at once.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from scrapeflow.workflow.nodes import BROWSER_ONLY, NODE_TYPES, NodeData, Stage
from scrapeflow.workflow.plan import Plan, Step

MAX_NODES = 500
MAX_EDGES = 2_000


@dataclass(frozen=True)
class Issue:
    node_id: str | None
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"node_id": self.node_id, "field": self.field, "code": self.code, "message": self.message}


class WorkflowInvalid(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


@dataclass
class _Graph:
    nodes: dict[str, dict[str, Any]]
    data: dict[str, NodeData]
    outgoing: dict[str, list[str]]
    incoming: dict[str, list[str]]


def _friendly(error: Mapping[str, Any]) -> str:
    kind, message = error.get("type", ""), str(error.get("msg", ""))
    if kind == "missing":
        return "This is required."
    return message.removeprefix("Value error, ")


def _structure(document: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Issue]]:
    if not isinstance(document, Mapping):
        return [], [], [Issue(None, None, "invalid_document", "The workflow must be an object with nodes and edges.")]
    nodes, edges = document.get("nodes", []), document.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return [], [], [Issue(None, None, "invalid_document", "The workflow's nodes and edges must be lists.")]
    if len(nodes) > MAX_NODES or len(edges) > MAX_EDGES:
        message = f"A bot can have at most {MAX_NODES} steps and {MAX_EDGES} connections; split it into several bots."
        return [], [], [Issue(None, None, "too_large", message)]
    issues: list[Issue] = []
    good_nodes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes):
        node_id = node.get("id") if isinstance(node, Mapping) else None
        if not isinstance(node_id, str) or not node_id:
            issues.append(Issue(None, f"nodes[{index}].id", "invalid_node", f"Step number {index + 1} has no id."))
        elif node_id in seen:
            issues.append(Issue(node_id, "id", "duplicate_id", f"Two steps share the id {node_id!r}."))
        else:
            seen.add(node_id)
            good_nodes.append(dict(node))
    good_edges: list[dict[str, Any]] = []
    for index, edge in enumerate(edges):
        source = edge.get("source") if isinstance(edge, Mapping) else None
        target = edge.get("target") if isinstance(edge, Mapping) else None
        if source not in seen or target not in seen:
            issues.append(
                Issue(None, f"edges[{index}]", "dangling_edge", "A connection points to a step that does not exist.")
            )
        elif source == target:
            issues.append(Issue(str(source), None, "cycle", "A step cannot connect to itself."))
        else:
            good_edges.append({"source": source, "target": target})
    return good_nodes, good_edges, issues


def _node_data(nodes: list[dict[str, Any]]) -> tuple[dict[str, NodeData], list[Issue]]:
    data: dict[str, NodeData] = {}
    issues: list[Issue] = []
    for node in nodes:
        node_id, node_type = node["id"], node.get("type")
        spec = NODE_TYPES.get(node_type) if isinstance(node_type, str) else None
        if spec is None:
            known = ", ".join(NODE_TYPES)
            issues.append(
                Issue(node_id, "type", "unknown_type", f"Unknown step type {node_type!r}; use one of {known}.")
            )
            continue
        raw = node.get("data", {})
        try:
            data[node_id] = spec.data.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(part) for part in error["loc"]) or None
                issues.append(Issue(node_id, field, "invalid_field", _friendly(error)))
    return data, issues


def _stage(graph: _Graph, node_id: str) -> Stage:
    return NODE_TYPES[graph.nodes[node_id]["type"]].stage


def _starts(graph: _Graph) -> tuple[str | None, list[Issue]]:
    starts = [node_id for node_id, node in graph.nodes.items() if node.get("type") == "start"]
    if not starts:
        return None, [Issue(None, None, "missing_start", "Add a Start step with the pages the bot begins on.")]
    issues = [Issue(extra, None, "second_start", "A bot has one Start step; remove this one.") for extra in starts[1:]]
    issues += [
        Issue(starts[0], None, "start_has_input", "Nothing can lead into Start.") for _ in graph.incoming[starts[0]]
    ]
    return starts[0], issues


def _topological_order(graph: _Graph) -> tuple[list[str], list[Issue]]:
    indegree = {node_id: len(graph.incoming[node_id]) for node_id in graph.nodes}
    ready = deque(node_id for node_id, degree in indegree.items() if degree == 0)
    order: list[str] = []
    while ready:
        node_id = ready.popleft()
        order.append(node_id)
        for target in graph.outgoing[node_id]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    in_cycle = [node_id for node_id, degree in indegree.items() if degree > 0]
    issues = [
        Issue(node_id, None, "cycle", "This step is part of a loop of connections; remove one.") for node_id in in_cycle
    ]
    return order, issues


def _reachability(graph: _Graph, start: str) -> list[Issue]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in graph.outgoing[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return [
        Issue(node_id, None, "unreachable", "This step is not connected to Start, so it would never run.")
        for node_id in graph.nodes
        if node_id not in seen
    ]


def _edge_rules(graph: _Graph) -> list[Issue]:
    issues: list[Issue] = []
    for source, targets in graph.outgoing.items():
        source_type = graph.nodes[source]["type"]
        for target in targets:
            target_type = graph.nodes[target]["type"]
            before, after = _stage(graph, source), _stage(graph, target)
            if after.order < before.order:
                issues.append(
                    Issue(
                        target,
                        None,
                        "stage_order",
                        f"A {after.value} step cannot come after a {before.value} step "
                        f"({NODE_TYPES[source_type].title} → {NODE_TYPES[target_type].title}).",
                    )
                )
            if target_type == "map" and source_type != "start":
                issues.append(Issue(target, None, "stage_order", "Discover pages must come right after Start."))
            if before is Stage.sink:
                issues.append(Issue(source, None, "sink_has_output", "Nothing can follow an export step."))
        chain_targets = [t for t in targets if _stage(graph, t) is not Stage.sink]
        if len(chain_targets) > 1:
            issues.append(
                Issue(
                    source, None, "branching", "This step leads to several steps; keep one path (exports may fan out)."
                )
            )
    for target, sources in graph.incoming.items():
        if len(sources) > 1 and _stage(graph, target) is not Stage.sink:
            issues.append(Issue(target, None, "merging", "Several steps lead into this one; keep one path."))
    return issues


def validate(document: Any) -> tuple[Plan | None, list[Issue]]:
    nodes, edges, issues = _structure(document)
    if any(issue.code in {"too_large", "invalid_document"} for issue in issues):
        return None, issues
    data, data_issues = _node_data(nodes)
    issues += data_issues
    typed = {node["id"]: node for node in nodes if node.get("type") in NODE_TYPES}
    outgoing: dict[str, list[str]] = defaultdict(list)
    incoming: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        if edge["source"] in typed and edge["target"] in typed:
            outgoing[edge["source"]].append(edge["target"])
            incoming[edge["target"]].append(edge["source"])
    graph = _Graph(typed, data, outgoing, incoming)
    start, start_issues = _starts(graph)
    order, cycle_issues = _topological_order(graph)
    issues += start_issues + cycle_issues
    if start is not None and not cycle_issues:
        issues += _reachability(graph, start)
    issues += _edge_rules(graph)
    if issues or start is None:
        return None, issues
    steps = [Step(node_id, graph.nodes[node_id]["type"], data[node_id]) for node_id in order]
    by_stage: dict[Stage, list[Step]] = defaultdict(list)
    for step in steps:
        by_stage[NODE_TYPES[step.type].stage].append(step)
    sources = by_stage[Stage.source]
    plan = Plan(
        start=sources[0],
        map=sources[1] if len(sources) > 1 else None,
        page_steps=tuple(by_stage[Stage.page]),
        post_steps=tuple(by_stage[Stage.post]),
        sinks=tuple(by_stage[Stage.sink]),
        needs_browser=any(step.type in BROWSER_ONLY for step in steps),
        uses_llm=any(step.type == "llm_extract" for step in steps),
        node_order=tuple(order),
    )
    return plan, []


def compile_workflow(document: Any) -> Plan:
    """Return the Plan, or raise WorkflowInvalid with every issue found."""
    plan, issues = validate(document)
    if plan is None:
        raise WorkflowInvalid(issues)
    return plan
