"""The forest of executions and their forks, as the editor's tree shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from wtb.models import Execution


@dataclass
class ExecutionTreeNode:
    execution: Execution
    children: list[ExecutionTreeNode] = field(default_factory=list)


def build_tree(executions: list[Execution]) -> list[ExecutionTreeNode]:
    """Roots are executions without a parent in the list; forks hang under their parent."""
    nodes = {e.id: ExecutionTreeNode(e) for e in executions}
    roots: list[ExecutionTreeNode] = []
    for execution in sorted(executions, key=lambda e: e.created_at):
        node = nodes[execution.id]
        parent = nodes.get(execution.parent_id or "")
        (parent.children if parent else roots).append(node)
    return roots
