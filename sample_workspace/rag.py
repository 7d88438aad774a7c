"""A small, deterministic RAG pipeline: embed the documents, retrieve, generate.

No model and no network: embeddings are hashed bag-of-words vectors and the "generator"
quotes the best sentences. It writes its index under ``index/`` and its answer to
``out/answer.md``, so WTB has real files to track, roll back and fork.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

DIMENSIONS = 64
WORD = re.compile(r"[a-z0-9]+")


class RagState(TypedDict, total=False):
    query: str
    top_k: int
    doc_count: int
    retrieved: list[str]
    answer: str


def embed(text: str) -> list[float]:
    """A unit vector of hashed word counts: the same text always gives the same vector."""
    vector = [0.0] * DIMENSIONS
    for word in WORD.findall(text.lower()):
        bucket = int(hashlib.blake2b(word.encode(), digest_size=4).hexdigest(), 16) % DIMENSIONS
        vector[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]


def rag_embed_docs(state: RagState) -> dict[str, Any]:
    """Embed every document under docs/ and write the index to index/vectors.json."""
    docs = sorted(Path("docs").glob("*.txt"))
    index = {doc.name: embed(doc.read_text(encoding="utf-8")) for doc in docs}
    Path("index").mkdir(exist_ok=True)
    Path("index/vectors.json").write_text(json.dumps(index, indent=1, sort_keys=True), encoding="utf-8")
    Path("index/manifest.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    return {"doc_count": len(index)}


def rag_retrieve(state: RagState) -> dict[str, Any]:
    """Rank documents by cosine similarity to the query and keep the best ``top_k``."""
    index = json.loads(Path("index/vectors.json").read_text(encoding="utf-8"))
    query = embed(state.get("query", ""))
    scores = {name: sum(q * d for q, d in zip(query, vec)) for name, vec in index.items()}
    ranked = sorted(scores, key=lambda name: (-scores[name], name))
    return {"retrieved": ranked[: state.get("top_k", 2)]}


def rag_generate(state: RagState) -> dict[str, Any]:
    """Answer with the retrieved document's sentence that shares most words with the query."""
    query_words = set(WORD.findall(state.get("query", "").lower()))
    sentences: list[str] = []
    for name in state.get("retrieved", []):
        text = Path("docs", name).read_text(encoding="utf-8")
        sentences += [s.strip() for s in re.split(r"(?<=\.)\s+", text) if s.strip()]
    best = max(sentences, key=lambda s: len(query_words & set(WORD.findall(s.lower()))), default="")
    answer = " ".join(best.split())
    Path("out").mkdir(exist_ok=True)
    sources = "\n".join(f"- {name}" for name in state.get("retrieved", []))
    Path("out/answer.md").write_text(
        f"# {state.get('query', '')}\n\n{answer}\n\nSources:\n{sources}\n", encoding="utf-8"
    )
    return {"answer": answer}


def build() -> StateGraph:
    """The RAG graph: rag_embed_docs → rag_retrieve → rag_generate."""
    graph = StateGraph(RagState)
    graph.add_node("rag_embed_docs", rag_embed_docs)
    graph.add_node("rag_retrieve", rag_retrieve)
    graph.add_node("rag_generate", rag_generate)
    graph.add_edge(START, "rag_embed_docs")
    graph.add_edge("rag_embed_docs", "rag_retrieve")
    graph.add_edge("rag_retrieve", "rag_generate")
    graph.add_edge("rag_generate", END)
    return graph


graph = build()
