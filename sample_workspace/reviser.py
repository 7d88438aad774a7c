"""A workflow with a conditional loop: revise a draft file until a check passes.

``write_draft`` writes ``drafts/draft.md``; ``review`` counts what is missing; while words
of the checklist are missing (and fewer than ``max_rounds`` rounds ran) ``revise`` adds a
sentence for the next one and the loop goes round again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

DRAFT = Path("drafts/draft.md")


class ReviserState(TypedDict, total=False):
    topic: str
    checklist: list[str]
    missing: list[str]
    rounds: int
    max_rounds: int
    approved: bool


def write_draft(state: ReviserState) -> dict[str, Any]:
    """Start the draft with a title line."""
    DRAFT.parent.mkdir(exist_ok=True)
    DRAFT.write_text(f"# {state.get('topic', 'Untitled')}\n", encoding="utf-8")
    return {"rounds": 0}


def review(state: ReviserState) -> dict[str, Any]:
    """List the checklist words the draft does not mention yet."""
    text = DRAFT.read_text(encoding="utf-8").lower()
    missing = [word for word in state.get("checklist", []) if word.lower() not in text]
    return {"missing": missing, "approved": not missing}


def revise(state: ReviserState) -> dict[str, Any]:
    """Add one sentence about the first missing word."""
    word = state["missing"][0]
    with DRAFT.open("a", encoding="utf-8") as draft:
        draft.write(f"\nThis draft now covers {word}.\n")
    return {"rounds": state.get("rounds", 0) + 1}


def after_review(state: ReviserState) -> str:
    """Loop back to ``revise`` until approved or out of rounds."""
    if state.get("approved") or state.get("rounds", 0) >= state.get("max_rounds", 5):
        return END
    return "revise"


graph = StateGraph(ReviserState)
graph.add_node("write_draft", write_draft)
graph.add_node("review", review)
graph.add_node("revise", revise)
graph.add_edge(START, "write_draft")
graph.add_edge("write_draft", "review")
graph.add_conditional_edges("review", after_review, ["revise", END])
graph.add_edge("revise", "review")
