"""The compiled form of a workflow: what the engine runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapeflow.workflow.nodes import MapData, NodeData, StartData


@dataclass(frozen=True)
class Step:
    node_id: str
    type: str
    data: NodeData


@dataclass(frozen=True)
class Plan:
    """A validated workflow: where to begin, how to discover, what to do on each page, then after."""

    start: Step
    map: Step | None
    page_steps: tuple[Step, ...]
    post_steps: tuple[Step, ...]
    sinks: tuple[Step, ...]
    needs_browser: bool
    uses_llm: bool
    node_order: tuple[str, ...] = field(default=())

    @property
    def start_urls(self) -> list[str]:
        assert isinstance(self.start.data, StartData)
        return list(self.start.data.urls)

    @property
    def map_options(self) -> MapData | None:
        return self.map.data if self.map is not None and isinstance(self.map.data, MapData) else None
