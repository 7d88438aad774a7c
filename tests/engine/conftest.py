"""A workflow whose steps create, modify, delete and rename files, and record the tree they see."""

from __future__ import annotations

from pathlib import Path

import pytest

FILES_WORKFLOW = '''
import os
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    tag: str
    tree: dict

def tree():
    """What a person sees in the workspace (the data dir and sources left out)."""
    seen = {}
    for root, dirs, files in os.walk("."):
        dirs[:] = [d for d in dirs if d not in (".wtb", "__pycache__")]
        for name in files:
            path = os.path.relpath(os.path.join(root, name), ".")
            if not path.endswith((".py", ".json")):
                seen[path] = Path(path).read_bytes().decode("latin-1")
    return dict(sorted(seen.items()))

def create(state):
    Path("work").mkdir(exist_ok=True)
    Path("work/a.txt").write_text("a1 " + state.get("tag", ""))
    Path("work/b.txt").write_text("b1")
    Path("bin.dat").write_bytes(bytes(range(256)))
    os.chmod("work/b.txt", 0o600)
    return {"tree": tree()}

def modify_delete(state):
    Path("work/a.txt").write_text("a2 " + state.get("tag", ""))
    Path("work/b.txt").unlink()
    return {"tree": tree()}

def recreate_rename(state):
    Path("work/b.txt").write_text("b3")
    os.rename("work/a.txt", "work/c.txt")
    Path("notes.md").unlink()
    return {"tree": tree()}

graph = StateGraph(S)
graph.add_node("create", create)
graph.add_node("modify_delete", modify_delete)
graph.add_node("recreate_rename", recreate_rename)
graph.add_edge(START, "create")
graph.add_edge("create", "modify_delete")
graph.add_edge("modify_delete", "recreate_rename")
graph.add_edge("recreate_rename", END)
'''


def workspace_tree(root: Path) -> dict[str, str]:
    """The same view as the workflow's ``tree()``, taken from outside."""
    seen = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".wtb", "__pycache__") or "__pycache__" in rel.parts or not path.is_file():
            continue
        if not str(rel).endswith((".py", ".json")):
            seen[str(rel)] = path.read_bytes().decode("latin-1")
    return seen


@pytest.fixture
def files_ws(make_workspace) -> Path:
    return make_workspace(
        {"files_flow.py": FILES_WORKFLOW, "notes.md": "user notes\n"}, {"files": "./files_flow.py:graph"}
    )
