"""A corpus of LangGraph graphs, one of each shape a LangGraph user writes (issue 19).

Every node writes or changes at least one file in the current directory, with content that
depends only on its input, so two runs of the same graph (plain LangGraph, WTB) leave the
same files at every step. Nothing here talks to a network or a model.

``CORPUS`` maps a name to a :class:`CorpusGraph`: a builder returning a fresh uncompiled
``StateGraph`` or a ``Pregel`` (an ``@entrypoint``, or a graph compiled with a cache but no
checkpointer), its input, and the answers to its interrupts.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import enum
import operator
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.cache.memory import InMemoryCache
from langgraph.config import get_stream_writer
from langgraph.errors import NodeError, NodeTimeoutError
from langgraph.func import entrypoint, task
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import CachePolicy, Command, Overwrite, RetryPolicy, Send, TimeoutPolicy, interrupt
from pydantic import BaseModel


@dataclass(frozen=True)
class CorpusGraph:
    """One graph of the corpus.

    ``answers``: one dict per resume round, from an interrupt's value (the question) to the
    answer; a round with one pending interrupt is answered with the bare value, a round with
    several with a dict keyed by interrupt id. ``run_async``: the graph has ``async def``
    nodes (plain LangGraph must drive it with ``ainvoke``). ``subgraphs``: it has subgraph
    nodes, so checkpoints exist in inner namespaces. ``middle_step``: the root step a
    rollback or fork "from the middle" starts at.
    """

    build: Callable[[], Any]
    input: Any
    answers: list[dict[str, Any]] = field(default_factory=list)
    run_async: bool = False
    subgraphs: bool = False
    middle_step: int = 1


def write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def append(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(text)


class Count(TypedDict, total=False):
    n: int
    log: Annotated[list[str], operator.add]


# -- 1, 2: async nodes, and async mixed with sync ----


def _async_step(name: str) -> Callable[[Count], Any]:
    async def step(state: Count) -> Count:
        await asyncio.sleep(0)
        n = state.get("n", 0)
        write(f"out/{name}.txt", f"{name} saw {n}")
        return {"n": n + 1, "log": [name]}

    step.__name__ = name
    return step


def _sync_step(name: str) -> Callable[[Count], Count]:
    def step(state: Count) -> Count:
        n = state.get("n", 0)
        write(f"out/{name}.txt", f"{name} saw {n}")
        return {"n": n + 1, "log": [name]}

    step.__name__ = name
    return step


def _chain(steps: list[tuple[str, Any]], state: Any = Count) -> StateGraph:
    """The ``steps`` (name, node) in a line, START to END, over the ``state`` schema."""
    graph = StateGraph(state)
    previous = START
    for name, step in steps:
        graph.add_node(name, step)
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph


def async_chain() -> StateGraph:
    return _chain([(name, _async_step(name)) for name in ("a1", "a2", "a3")])


def mixed_chain() -> StateGraph:
    return _chain([("a1", _async_step("a1")), ("s2", _sync_step("s2")), ("a3", _async_step("a3"))])


# -- 3: the Functional API ----


@task
def draft_line(i: int, topic: str) -> str:
    line = f"{topic} #{i}"
    write(f"lines/{i}.txt", line)
    return line


def functional() -> Any:
    @entrypoint()
    def poem(topic: str) -> list[str]:
        lines = [draft_line(i, topic).result() for i in range(2)]
        write("poem.txt", "\n".join(lines))
        return lines

    return poem


# -- 4: a subgraph node containing a subgraph node ----


def two_level_subgraph() -> StateGraph:
    inner = _chain([("i1", _sync_step("i1")), ("i2", _sync_step("i2"))]).compile()
    middle = StateGraph(Count)
    middle.add_node("m1", _sync_step("m1"))
    middle.add_node("inner", inner)
    middle.add_node("m2", _sync_step("m2"))
    middle.add_edge(START, "m1")
    middle.add_edge("m1", "inner")
    middle.add_edge("inner", "m2")
    middle.add_edge("m2", END)
    outer = StateGraph(Count)
    outer.add_node("o1", _sync_step("o1"))
    outer.add_node("middle", middle.compile())
    outer.add_node("o2", _sync_step("o2"))
    outer.add_edge(START, "o1")
    outer.add_edge("o1", "middle")
    outer.add_edge("middle", "o2")
    outer.add_edge("o2", END)
    return outer


# -- 5: Send map-reduce ----


class MapState(TypedDict, total=False):
    topic: str
    items: list[str]
    results: Annotated[list[str], operator.add]
    summary: str


class WorkerInput(TypedDict):
    item: str


def send_map_reduce() -> StateGraph:
    def plan(state: MapState) -> MapState:
        items = [f"{state['topic']}-{i}" for i in range(3)]
        write("plan.txt", ",".join(items))
        return {"items": items}

    def fan_out(state: MapState) -> list[Send]:
        return [Send("worker", {"item": item}) for item in state["items"]]

    def worker(state: WorkerInput) -> MapState:
        write(f"work/{state['item']}.txt", state["item"].upper())
        return {"results": [state["item"].upper()]}

    def reduce(state: MapState) -> MapState:
        summary = "+".join(sorted(state["results"]))
        write("summary.txt", summary)
        return {"summary": summary}

    graph = StateGraph(MapState)
    graph.add_node("plan", plan)
    graph.add_node("worker", worker)
    graph.add_node("reduce", reduce)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["worker"])
    graph.add_edge("worker", "reduce")
    graph.add_edge("reduce", END)
    return graph


# -- 6: a join ----


class JoinState(TypedDict, total=False):
    topic: str
    left: str
    right: str
    joined: str


def _left(state: JoinState) -> JoinState:
    write("left.txt", f"L:{state['topic']}")
    return {"left": f"L:{state['topic']}"}


def _right(state: JoinState) -> JoinState:
    write("right.txt", f"R:{state['topic']}")
    return {"right": f"R:{state['topic']}"}


def _join_of(joined: Callable[[JoinState], JoinState]) -> StateGraph:
    """``left`` and ``right`` in parallel, then ``join`` (``joined``) once both ran."""
    graph = StateGraph(JoinState)
    graph.add_node("left", _left)
    graph.add_node("right", _right)
    graph.add_node("join", joined)
    graph.add_edge(START, "left")
    graph.add_edge(START, "right")
    graph.add_edge(["left", "right"], "join")
    graph.add_edge("join", END)
    return graph


def join() -> StateGraph:
    def joined(state: JoinState) -> JoinState:
        text = f"{state['left']}|{state['right']}"
        write("joined.txt", text)
        return {"joined": text}

    return _join_of(joined)


# -- 7, 8: interrupts ----


class AskState(TypedDict, total=False):
    topic: str
    draft: str
    answers: Annotated[list[str], operator.add]
    final: str


def single_interrupt() -> StateGraph:
    def draft(state: AskState) -> AskState:
        write("draft.txt", f"draft of {state['topic']}")
        return {"draft": f"draft of {state['topic']}"}

    def ask(state: AskState) -> AskState:
        answer = interrupt("Approve the draft?")
        write("answer.txt", str(answer))
        return {"answers": [str(answer)]}

    def finish(state: AskState) -> AskState:
        final = f"{state['draft']} ({','.join(state['answers'])})"
        write("final.txt", final)
        return {"final": final}

    graph = StateGraph(AskState)
    graph.add_node("draft", draft)
    graph.add_node("ask", ask)
    graph.add_node("finish", finish)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "ask")
    graph.add_edge("ask", "finish")
    graph.add_edge("finish", END)
    return graph


def two_interrupts() -> StateGraph:
    def draft(state: AskState) -> AskState:
        write("draft.txt", f"draft of {state['topic']}")
        return {"draft": f"draft of {state['topic']}"}

    def asker(name: str, question: str) -> Callable[[AskState], AskState]:
        def ask(state: AskState) -> AskState:
            answer = interrupt(question)
            write(f"answer_{name}.txt", str(answer))
            return {"answers": [f"{name}={answer}"]}

        ask.__name__ = name
        return ask

    def finish(state: AskState) -> AskState:
        final = f"{state['draft']} ({','.join(sorted(state['answers']))})"
        write("final.txt", final)
        return {"final": final}

    graph = StateGraph(AskState)
    graph.add_node("draft", draft)
    graph.add_node("ask_legal", asker("ask_legal", "Legal approves?"))
    graph.add_node("ask_style", asker("ask_style", "Style approves?"))
    graph.add_node("finish", finish)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "ask_legal")
    graph.add_edge("draft", "ask_style")
    graph.add_edge(["ask_legal", "ask_style"], "finish")
    graph.add_edge("finish", END)
    return graph


# -- 9, 10: Command(goto=...) and Command(graph=Command.PARENT) ----


def command_goto() -> StateGraph:
    def route(state: Count) -> Command[Literal["small", "big"]]:
        n = state.get("n", 0)
        target = "big" if n >= 10 else "small"
        write("route.txt", target)
        return Command(goto=target, update={"log": [f"route->{target}"]})

    graph = StateGraph(Count)
    graph.add_node("route", route)
    graph.add_node("small", _sync_step("small"))
    graph.add_node("big", _sync_step("big"))
    graph.add_node("done", _sync_step("done"))
    graph.add_edge(START, "route")
    graph.add_edge("small", "done")
    graph.add_edge("big", "done")
    graph.add_edge("done", END)
    return graph


def command_parent() -> StateGraph:
    def escalate(state: Count) -> Command:
        write("escalate.txt", f"escalated at {state.get('n', 0)}")
        return Command(graph=Command.PARENT, goto="escalated", update={"log": ["escalate"]})

    inner = StateGraph(Count)
    inner.add_node("check", _sync_step("check"))
    inner.add_node("escalate", escalate)
    inner.add_edge(START, "check")
    inner.add_edge("check", "escalate")
    inner.add_edge("escalate", END)

    outer = StateGraph(Count)
    outer.add_node("prepare", _sync_step("prepare"))
    outer.add_node("review", inner.compile(), destinations=("escalated",))
    outer.add_node("escalated", _sync_step("escalated"))
    outer.add_edge(START, "prepare")
    outer.add_edge("prepare", "review")
    outer.add_edge("escalated", END)
    return outer


# -- 11: RetryPolicy ----


def retry() -> StateGraph:
    def flaky(state: Count) -> Count:
        counter = Path("attempts.txt")
        attempts = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempts))
        if attempts == 1:
            raise ConnectionError("first attempt fails")
        return {"n": state.get("n", 0) + attempts, "log": [f"flaky after {attempts} attempts"]}

    graph = StateGraph(Count)
    graph.add_node("start", _sync_step("start"))
    graph.add_node(
        "flaky",
        flaky,
        retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.01, jitter=False, retry_on=ConnectionError),
    )
    graph.add_node("end", _sync_step("end"))
    graph.add_edge(START, "start")
    graph.add_edge("start", "flaky")
    graph.add_edge("flaky", "end")
    graph.add_edge("end", END)
    return graph


# -- 12: CachePolicy ----


class SquareInput(TypedDict):
    x: int


class CacheState(TypedDict, total=False):
    x: int
    squares: Annotated[list[int], operator.add]
    rounds: int


def cached() -> Any:
    """``square`` is asked the same question twice, in two steps; the second answer comes from
    the cache, so ``square_calls.txt`` shows one call. A cache must be given at compile time,
    so this builder returns a graph compiled without a checkpointer."""

    def plan(state: CacheState) -> CacheState:
        rounds = state.get("rounds", 0) + 1
        write("rounds.txt", str(rounds))
        return {"rounds": rounds}

    def fan_out(state: CacheState) -> list[Send] | str:
        if state["rounds"] > 2:
            return "report"
        return [Send("square", {"x": state["x"]})]

    def square(state: SquareInput) -> CacheState:
        append("square_calls.txt", f"{state['x']}\n")
        return {"squares": [state["x"] * state["x"]]}

    def report(state: CacheState) -> CacheState:
        write("report.txt", ",".join(str(s) for s in state["squares"]))
        return {}

    graph = StateGraph(CacheState)
    graph.add_node("plan", plan)
    graph.add_node("square", square, cache_policy=CachePolicy())
    graph.add_node("report", report)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["square", "report"])
    graph.add_edge("square", "plan")
    graph.add_edge("report", END)
    return graph.compile(cache=InMemoryCache())


# -- 13: a ReAct agent with a scripted tool-calling chat model ----


class ScriptedChatModel(FakeMessagesListChatModel):
    """Answers the n-th model call of a conversation with ``responses[n]`` (n: the AI messages
    so far), so a fork or a rerun gets the same answers; logs each call to a file."""

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        turn = sum(isinstance(m, AIMessage) for m in messages)
        append("model_calls.txt", f"turn {turn} after {len(messages)} messages\n")
        return ChatResult(generations=[ChatGeneration(message=self.responses[turn])])

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


@tool
def write_note(name: str, text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Write a note to notes/<name>.txt."""
    write(f"notes/{name}.txt", text)
    message = ToolMessage(f"wrote {name}", tool_call_id=tool_call_id, id=f"tool-{tool_call_id}")
    return Command(update={"messages": [message]})


def react_agent() -> Any:
    from langgraph.prebuilt import create_react_agent

    model = ScriptedChatModel(
        responses=[
            AIMessage(
                "",
                id="ai-0",
                tool_calls=[
                    {"name": "write_note", "args": {"name": "a", "text": "alpha"}, "id": "call-a", "type": "tool_call"},
                    {"name": "write_note", "args": {"name": "b", "text": "beta"}, "id": "call-b", "type": "tool_call"},
                ],
            ),
            AIMessage("Wrote notes a and b.", id="ai-1"),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agent = create_react_agent(model, [write_note])
    return agent.builder


# -- 14: a node error handler (LangGraph >= 1.2) ----


def error_handler() -> StateGraph:
    def fragile(state: Count) -> Count:
        write("out/fragile.txt", "started")
        raise ValueError("the parser choked")

    def recover(state: Count, error: NodeError) -> Command[Literal["end"]]:
        write("out/recovered.txt", f"{error.node}: {error.error}")
        return Command(update={"log": [f"recovered from {error.node}"]}, goto="end")

    graph = StateGraph(Count)
    graph.add_node("start", _sync_step("start"))
    graph.add_node("fragile", fragile, error_handler=recover)
    graph.add_node("end", _sync_step("end"))
    graph.add_edge(START, "start")
    graph.add_edge("start", "fragile")
    graph.add_edge("fragile", "end")
    graph.add_edge("end", END)
    return graph


# -- 15: a node timeout, retried (LangGraph >= 1.2) ----


def timeout() -> StateGraph:
    async def slow(state: Count) -> Count:
        counter = Path("slow-attempts.txt")
        attempts = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempts))
        if attempts == 1:
            await asyncio.sleep(30)  # the first attempt hangs: the run timeout cancels it
        write("out/slow.txt", f"done after {attempts} attempts")
        return {"n": state.get("n", 0) + attempts, "log": ["slow"]}

    graph = StateGraph(Count)
    graph.add_node("start", _async_step("start"))
    graph.add_node(
        "slow",
        slow,
        timeout=TimeoutPolicy(run_timeout=0.2),
        retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.01, jitter=False, retry_on=NodeTimeoutError),
    )
    graph.add_node("end", _async_step("end"))
    graph.add_edge(START, "start")
    graph.add_edge("start", "slow")
    graph.add_edge("slow", "end")
    graph.add_edge("end", END)
    return graph


# -- 16: a deferred node, run once every branch is done ----


def deferred() -> StateGraph:
    def collect(state: Count) -> Count:
        write("out/collect.txt", ",".join(state.get("log", [])))
        return {"log": ["collect"]}

    def branch(name: str) -> Callable[[Count], Count]:
        def step(state: Count) -> Count:
            write(f"out/{name}.txt", f"{name} after {len(state.get('log', []))}")
            return {"log": [name]}

        return step

    graph = StateGraph(Count)
    for name in ("a", "a2", "b"):
        graph.add_node(name, branch(name))
    graph.add_node("collect", collect, defer=True)
    graph.add_edge(START, "a")
    graph.add_edge(START, "b")
    graph.add_edge("a", "a2")
    graph.add_edge("a2", "collect")
    graph.add_edge("b", "collect")
    graph.add_edge("collect", END)
    return graph


# -- 17: a pydantic state with separate input and output schemas ----


class Order(BaseModel):
    item: str
    quantity: int = 1
    notes: Annotated[list[str], operator.add] = []
    total: float = 0.0


class OrderIn(BaseModel):
    item: str
    quantity: int = 1


class OrderOut(BaseModel):
    total: float = 0.0


def pydantic_schemas() -> StateGraph:
    def price(state: Order) -> dict[str, Any]:
        write("out/price.txt", f"{state.quantity} x {state.item}")
        return {"total": 2.5 * state.quantity, "notes": ["priced"]}

    def confirm(state: Order) -> dict[str, Any]:
        write("out/confirm.txt", f"{state.total:.2f}")
        return {"notes": ["confirmed"]}

    graph = StateGraph(Order, input_schema=OrderIn, output_schema=OrderOut)
    graph.add_node("price", price)
    graph.add_node("confirm", confirm)
    graph.add_edge(START, "price")
    graph.add_edge("price", "confirm")
    graph.add_edge("confirm", END)
    return graph


# -- 18: a subgraph invoked from inside a node (its own state schema) ----


class Draft(TypedDict, total=False):
    text: str
    edits: Annotated[list[str], operator.add]


def subgraph_in_node() -> StateGraph:
    editor = StateGraph(Draft)
    editor.add_node("tighten", lambda s: (write("out/tighten.txt", s["text"]), {"edits": ["tighten"]})[1])
    editor.add_node("polish", lambda s: (write("out/polish.txt", s["text"]), {"edits": ["polish"]})[1])
    editor.add_edge(START, "tighten")
    editor.add_edge("tighten", "polish")
    editor.add_edge("polish", END)
    compiled_editor = editor.compile()

    def edit(state: Count) -> Count:
        result = compiled_editor.invoke({"text": f"draft {state.get('n', 0)}"})
        return {"n": state.get("n", 0) + 1, "log": result["edits"]}

    graph = StateGraph(Count)
    graph.add_node("start", _sync_step("start"))
    graph.add_node("edit", edit)
    graph.add_node("end", _sync_step("end"))
    graph.add_edge(START, "start")
    graph.add_edge("start", "edit")
    graph.add_edge("edit", "end")
    graph.add_edge("end", END)
    return graph


# -- a question asked inside a subgraph ----


def interrupt_in_subgraph() -> StateGraph:
    """``review`` (a subgraph) asks between two steps of its own; the parent goes on after it."""

    def ask(state: Count) -> Count:
        answer = interrupt("Publish the review?")
        write("out/answer.txt", str(answer))
        return {"n": state.get("n", 0) + 1, "log": [f"ask:{answer}"]}

    review = _chain([("r1", _sync_step("r1")), ("ask", ask), ("r2", _sync_step("r2"))]).compile()
    return _chain([("draft", _sync_step("draft")), ("review", review), ("publish", _sync_step("publish"))])



# -- Send to a subgraph: inner steps of parallel instances ----


class Piece(TypedDict, total=False):
    item: str
    results: Annotated[list[str], operator.add]


def _map_reduce(plan: Callable[..., Any], worker: str, inner: StateGraph, gather: Callable[..., Any]) -> StateGraph:
    """``plan`` lists items, each is sent to ``worker`` (the subgraph ``inner``), ``gather`` ends."""
    graph = StateGraph(MapState)
    graph.add_node("plan", plan)
    graph.add_node(worker, inner.compile())
    graph.add_node("gather", gather)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", lambda s: [Send(worker, {"item": i}) for i in s["items"]], [worker])
    graph.add_edge(worker, "gather")
    graph.add_edge("gather", END)
    return graph


def send_to_subgraph() -> StateGraph:
    """``plan`` sends three items to ``polish``, a two-step subgraph: three inner namespaces at once."""

    def shape(state: Piece) -> Piece:
        write(f"pieces/{state['item']}.txt", state["item"])
        return {}

    def finish(state: Piece) -> Piece:
        append(f"pieces/{state['item']}.txt", "!")
        return {"results": [state["item"] + "!"]}

    inner = _chain([("shape", shape), ("finish", finish)], Piece)

    def plan(state: MapState) -> MapState:
        write("plan.txt", state["topic"])
        return {"items": [f"{state['topic']}{i}" for i in range(3)]}

    def gather(state: MapState) -> MapState:
        summary = ",".join(sorted(state["results"]))
        write("summary.txt", summary)
        return {"summary": summary}

    return _map_reduce(plan, "polish", inner, gather)


# -- a dataclass state and a loop ----


@dataclass
class Loop:
    n: int = 0
    seen: list[int] = field(default_factory=list)


def dataclass_loop() -> StateGraph:
    def step(state: Loop) -> dict[str, Any]:
        append("loop.txt", f"{state.n}\n")
        return {"n": state.n + 1, "seen": [*state.seen, state.n]}

    graph = StateGraph(Loop)
    graph.add_node("step", step)
    graph.add_edge(START, "step")
    graph.add_conditional_edges("step", lambda s: END if s.n >= 4 else "step")
    return graph


# -- interrupts asked by parallel Send workers ----


def asking_workers() -> StateGraph:
    def worker(state: WorkerInput) -> MapState:
        answer = interrupt(f"Keep {state['item']}?")
        write(f"kept/{state['item']}.txt", str(answer))
        return {"results": [f"{state['item']}={answer}"]}

    def plan(state: MapState) -> MapState:
        return {"items": ["a", "b"]}

    def reduce(state: MapState) -> MapState:
        summary = ",".join(sorted(state["results"]))
        write("summary.txt", summary)
        return {"summary": summary}

    graph = StateGraph(MapState)
    graph.add_node("plan", plan)
    graph.add_node("worker", worker)
    graph.add_node("reduce", reduce)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", lambda s: [Send("worker", {"item": i}) for i in s["items"]], ["worker"])
    graph.add_edge("worker", "reduce")
    graph.add_edge("reduce", END)
    return graph



# -- an async subgraph that asks ----


def async_subgraph_asks() -> StateGraph:
    """Async nodes inside a subgraph, one of them asking between two others."""

    async def ask(state: Count) -> Count:
        answer = interrupt("Ship it?")
        write("out/shipped.txt", str(answer))
        return {"n": state.get("n", 0) + 1, "log": [f"ask:{answer}"]}

    inner = _chain([("b1", _async_step("b1")), ("ask", ask), ("b2", _async_step("b2"))]).compile()
    return _chain([("a1", _async_step("a1")), ("inner", inner), ("a2", _async_step("a2"))])


# -- the Functional API asking between tasks ----


def functional_asks() -> Any:
    @entrypoint()
    def essay(topic: str) -> dict[str, Any]:
        first = draft_line(0, topic).result()
        verdict = interrupt(f"Keep '{first}'?")
        second = draft_line(1, f"{topic}/{verdict}").result()
        write("essay.txt", f"{first}\n{second}")
        return {"lines": [first, second], "verdict": verdict}

    return essay


# -- a graph compiled with a store ----


def with_store() -> Any:
    from langgraph.store.base import BaseStore
    from langgraph.store.memory import InMemoryStore

    def remember(state: Count, store: BaseStore) -> Count:
        store.put(("notes",), "first", {"n": state.get("n", 0)})
        write("remembered.txt", "yes")
        return {"n": state.get("n", 0) + 1}

    def recall(state: Count, store: BaseStore) -> Count:
        item = store.get(("notes",), "first")
        write("recalled.txt", str(item.value if item else None))
        return {"log": [f"recalled:{item.value['n'] if item else None}"]}

    return _chain([("remember", remember), ("recall", recall)]).compile(store=InMemoryStore())



# -- a question asked beside a task that finished ----


def asks_beside_a_writer() -> StateGraph:
    """``writer`` finishes (a file written) in the step where ``asker`` asks: answered, only
    ``asker`` runs again, so the writer's file must still be there."""

    def writer(state: AskState) -> AskState:
        append("out/writer.txt", "written once\n")
        return {"draft": "drafted"}

    def asker(state: AskState) -> AskState:
        answer = interrupt("Go ahead?")
        write("out/asker.txt", str(answer))
        return {"answers": [str(answer)]}

    def finish(state: AskState) -> AskState:
        final = f"{state['draft']}:{','.join(state['answers'])}"
        write("final.txt", final)
        return {"final": final}

    graph = StateGraph(AskState)
    graph.add_node("writer", writer)
    graph.add_node("asker", asker)
    graph.add_node("finish", finish)
    graph.add_edge(START, "writer")
    graph.add_edge(START, "asker")
    graph.add_edge(["writer", "asker"], "finish")
    graph.add_edge("finish", END)
    return graph



# -- a ReAct agent whose tool asks before it acts ----


@tool
def approved_note(name: str, text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Write notes/<name>.txt once a person approves."""
    verdict = interrupt(f"Write note {name}?")
    if verdict == "yes":
        write(f"notes/{name}.txt", text)
    message = ToolMessage(f"{name}: {verdict}", tool_call_id=tool_call_id, id=f"tool-{tool_call_id}")
    return Command(update={"messages": [message]})


def approving_agent() -> Any:
    """Two tool calls in one turn, each asking: two questions pending at once, in ``tools``."""
    from langgraph.prebuilt import create_react_agent

    model = ScriptedChatModel(
        responses=[
            AIMessage(
                "",
                id="ai-0",
                tool_calls=[
                    {"name": "approved_note", "args": {"name": n, "text": t}, "id": f"call-{n}", "type": "tool_call"}
                    for n, t in (("a", "alpha"), ("b", "beta"))
                ],
            ),
            AIMessage("Done.", id="ai-1"),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agent = create_react_agent(model, [approved_note])
    return agent.builder


# -- a subgraph invoked inside a node, asking ----


def asking_subgraph_in_node() -> StateGraph:
    inner = _chain([("i1", _sync_step("i1")), ("ask", _asking_step("Keep the inner draft?")), ("i2", _sync_step("i2"))])
    compiled_inner = inner.compile()

    def run_inner(state: Count) -> Count:
        result = compiled_inner.invoke({"n": state.get("n", 0)})
        return {"n": result["n"] + 1, "log": ["inner done"]}

    return _chain([("start", _sync_step("start")), ("inner", run_inner), ("end", _sync_step("end"))])


def _asking_step(question: str) -> Callable[[Count], Count]:
    def ask(state: Count) -> Count:
        answer = interrupt(question)
        write("out/inner_answer.txt", str(answer))
        return {"n": state.get("n", 0) + 1, "log": [f"ask:{answer}"]}

    return ask


# -- values JSON has no type for: LangGraph's serializer keeps most, turns a tuple into a list ----


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Rich(TypedDict, total=False):
    when: datetime.datetime
    day: datetime.date
    raw: bytes
    tags: set[str]
    pair: tuple[int, int]
    price: decimal.Decimal
    ident: uuid.UUID
    color: Color


def rich_values() -> StateGraph:
    def first(state: Rich) -> Rich:
        write("rich/first.txt", "1")
        return {
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "day": datetime.date(2026, 1, 2),
            "raw": b"\x00\xff", "tags": {"a", "b"}, "pair": (1, 2), "price": decimal.Decimal("1.10"),
            "ident": uuid.UUID(int=5), "color": Color.RED,
        }

    def second(state: Rich) -> Rich:
        write("rich/second.txt", f"{state['pair']} {sorted(state['tags'])}")
        return {"color": Color.BLUE, "tags": state["tags"] | {"c"}}

    return _chain([("first", first), ("second", second)])


# -- input and output schemas narrower than the state ----


class Question(TypedDict):
    question: str


class Reply(TypedDict):
    answer: str


class Thinking(TypedDict, total=False):
    question: str
    notes: str
    answer: str


def io_schemas() -> StateGraph:
    def think(state: Question) -> dict[str, Any]:
        write("io/notes.txt", state["question"])
        return {"notes": state["question"].upper()}

    def reply(state: Thinking) -> Reply:
        write("io/answer.txt", state.get("notes", ""))
        return {"answer": state.get("notes", "") + "!"}

    graph = StateGraph(Thinking, input_schema=Question, output_schema=Reply)
    graph.add_node("think", think)
    graph.add_node("reply", reply)
    graph.add_edge(START, "think")
    graph.add_edge("think", "reply")
    graph.add_edge("reply", END)
    return graph


# -- Command(goto=[Send, ...]): a node that updates the state and fans out ----


def goto_sends() -> StateGraph:
    def plan(state: MapState) -> Command[Literal["work"]]:
        write("plan.txt", state["topic"])
        return Command(update={"items": ["a", "b"]}, goto=[Send("work", {"item": i}) for i in ("a", "b")])

    def work(state: WorkerInput) -> dict[str, Any]:
        write(f"work/{state['item']}.txt", state["item"] * 2)
        return {"results": [state["item"]]}

    graph = StateGraph(MapState)
    graph.add_node("plan", plan)
    graph.add_node("work", work)
    graph.add_edge(START, "plan")
    graph.add_edge("work", END)
    return graph


# -- messages removed by id (RemoveMessage) ----


def removed_messages() -> StateGraph:
    def chat(state: MessagesState) -> dict[str, Any]:
        count = len(state["messages"])
        write("chat/log.txt", f"{count} messages")
        return {"messages": [AIMessage(f"reply {count}", id=f"ai-{count}")]}

    def trim(state: MessagesState) -> dict[str, Any]:
        first = state["messages"][0]
        write("chat/trimmed.txt", str(first.id))
        return {"messages": [RemoveMessage(id=str(first.id))]}

    graph = StateGraph(MessagesState)
    graph.add_node("chat", chat)
    graph.add_node("trim", trim)
    graph.add_edge(START, "chat")
    graph.add_edge("chat", "trim")
    graph.add_edge("trim", END)
    return graph


# -- the Functional API: tasks run in parallel, entrypoint.final ----


@task
def shout(word: str) -> str:
    write(f"shout/{word}.txt", word.upper())
    return word.upper()


def functional_parallel() -> Any:
    @entrypoint()
    def chorus(words: list[str]) -> Any:
        futures = [shout(word) for word in words]
        loud = [future.result() for future in futures]
        write("chorus.txt", " ".join(loud))
        return entrypoint.final(value=loud, save=len(loud))

    return chorus



# -- Overwrite: a node replaces a list whose reducer appends; nodes added as a sequence ----


class Bag(TypedDict, total=False):
    n: int
    items: Annotated[list[str], operator.add]


def overwriting() -> StateGraph:
    """``reset`` bypasses ``items``' reducer with ``Overwrite``; ``talk`` streams custom events."""

    def grow(state: Bag) -> Bag:
        write("grow.txt", ",".join(state.get("items", [])))
        return {"items": ["a", "b"]}

    def reset(state: Bag) -> Any:
        write("reset.txt", ",".join(state["items"]))
        return {"items": Overwrite(["only"])}

    def talk(state: Bag) -> Bag:
        emit = get_stream_writer()
        emit({"progress": 50})
        write("talk.txt", ",".join(state["items"]))
        emit({"progress": 100})
        return {"n": len(state["items"])}

    graph = StateGraph(Bag)
    graph.add_sequence([("grow", grow), ("reset", reset), ("talk", talk)])
    graph.add_edge(START, "grow")
    graph.add_edge("talk", END)
    return graph


# -- node names and file names beyond ASCII, nodes that are callables and Runnables, a route from START ----


class _Doubler:
    """A node that is an object with ``__call__``, not a function."""

    def __call__(self, state: Bag) -> Bag:
        write("sortie é/double résumé.txt", str(state.get("n", 0) * 2))
        return {"n": state.get("n", 0) * 2, "items": ["double"]}


def _increment(state: Bag) -> Bag:
    write("sortie é/日本.txt", str(state["n"] + 1))
    return {"n": state["n"] + 1, "items": ["二"]}


def unusual_nodes() -> StateGraph:
    graph = StateGraph(Bag)
    graph.add_node("écrire résumé", _Doubler())
    graph.add_node("第二 step", RunnableLambda(_increment))
    graph.add_conditional_edges(START, lambda s: "small" if s.get("n", 0) < 5 else "big",
                                {"small": "écrire résumé", "big": "第二 step"})
    graph.add_edge("écrire résumé", "第二 step")
    graph.add_edge("第二 step", END)
    return graph


# -- async Functional API: tasks gathered concurrently, a task calling a task ----


@task
async def square_late(x: int) -> int:
    await asyncio.sleep(0.005 * (3 - x))  # finish out of order
    write(f"squares/{x}.txt", str(x * x))
    return x * x


@task
async def square_plus_one(x: int) -> int:
    y = await square_late(x)
    write(f"plus/{x}.txt", str(y + 1))
    return y + 1


def async_functional() -> Any:
    @entrypoint()
    async def squares(xs: list[int]) -> list[int]:
        ys = await asyncio.gather(*(square_plus_one(x) for x in xs))
        write("squares.txt", str(list(ys)))
        return list(ys)

    return squares


# -- a conditional edge that fans out to several nodes at once (a list of names) ----


class Fan(TypedDict, total=False):
    topic: str
    parts: Annotated[list[str], operator.add]


def conditional_fanout() -> StateGraph:
    """``route`` picks two of three writers by returning a list; ``gather`` joins them."""

    def plan(state: Fan) -> Fan:
        write("plan.txt", state["topic"])
        return {}

    def writer(name: str) -> Callable[[Fan], Fan]:
        def step(state: Fan) -> Fan:
            write(f"parts/{name}.txt", f"{name} on {state['topic']}")
            return {"parts": [name]}

        return step

    def gather(state: Fan) -> Fan:
        write("gathered.txt", ",".join(sorted(state.get("parts", []))))
        return {}

    def route(state: Fan) -> list[str]:
        return ["left", "right"] if state["topic"] else ["middle"]

    graph = StateGraph(Fan)
    graph.add_node("plan", plan)
    for name in ("left", "middle", "right"):
        graph.add_node(name, writer(name))
        graph.add_edge(name, "gather")
    graph.add_node("gather", gather)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", route, ["left", "middle", "right"])
    graph.add_edge("gather", END)
    return graph


# -- private state: a channel only two nodes share, outside the graph's schema ----


class Public(TypedDict, total=False):
    text: str
    summary: str


class Scratch(TypedDict, total=False):
    draft: str


def private_channel() -> StateGraph:
    """``think`` writes ``draft``, a key of a private schema, that ``speak`` reads: LangGraph keeps
    it as a channel of its own (shown in the state once written) though ``Public`` does not name it."""

    def think(state: Public) -> Scratch:
        write("notes/draft.txt", state["text"][::-1])
        return {"draft": state["text"][::-1]}

    def speak(state: Scratch) -> Public:
        write("notes/summary.txt", state["draft"].upper())
        return {"summary": state["draft"].upper()}

    graph = StateGraph(Public)
    graph.add_node("think", think)
    graph.add_node("speak", speak, input_schema=Scratch)
    graph.add_edge(START, "think")
    graph.add_edge("think", "speak")
    graph.add_edge("speak", END)
    return graph


# -- files that change kind: a file becomes a folder, a folder is renamed, an empty one is left ----


def reshaping_files() -> StateGraph:
    """Each step reshapes ``out/`` (a file, then a folder of that name, then the folder renamed
    and an empty folder left behind, then a file made read-only and executable): a rollback
    to every step must bring back exactly that shape."""
    import os
    import shutil

    def make_file(state: Count) -> Count:
        write("out/item", "a file")
        return {"n": 1, "log": ["file"]}

    def file_to_folder(state: Count) -> Count:
        os.remove("out/item")
        write("out/item/inside.txt", "now a folder")
        return {"n": 2, "log": ["folder"]}

    def rename_folder(state: Count) -> Count:
        shutil.move("out/item", "out/moved")
        Path("out/empty").mkdir()
        return {"n": 3, "log": ["renamed"]}

    def change_mode(state: Count) -> Count:
        target = Path("out/moved/inside.txt")
        target.chmod(0o555)
        return {"n": 4, "log": ["mode"]}

    return _chain([("make_file", make_file), ("file_to_folder", file_to_folder),
                   ("rename_folder", rename_folder), ("change_mode", change_mode)])


# -- one node asking two questions in turn ----


def asks_twice() -> StateGraph:
    """``interview`` asks, writes, asks again: resumed after the first answer it runs from its
    start (its first line written again) and stops at the second question; then ``close``."""

    def interview(state: AskState) -> AskState:
        name = interrupt("Your name?")
        append("interview.txt", f"name={name}\n")
        role = interrupt("Your role?")
        append("interview.txt", f"role={role}\n")
        return {"answers": [f"{name}:{role}"]}

    def close(state: AskState) -> AskState:
        final = f"{state['topic']}: {', '.join(state['answers'])}"
        write("final.txt", final)
        return {"final": final}

    graph = StateGraph(AskState)
    graph.add_node("interview", interview)
    graph.add_node("close", close)
    graph.add_edge(START, "interview")
    graph.add_edge("interview", "close")
    graph.add_edge("close", END)
    return graph

# -- a subgraph that keeps its own history (compile(checkpointer=True)), a node that returns None ----


def persistent_subgraph() -> StateGraph:
    """``notes`` is compiled with ``checkpointer=True`` (LangGraph's per-thread subgraph memory:
    its namespace is the node's name, without a task id); ``peek`` only reads and returns None."""

    def first(state: Count) -> Count:
        write("notes/first.txt", "1")
        return {"n": state.get("n", 0) + 1, "log": ["first"]}

    def second(state: Count) -> Count:
        append("notes/first.txt", "2")
        return {"n": state.get("n", 0) + 1, "log": ["second"]}

    def peek(state: Count) -> None:
        Path("notes/first.txt").read_text(encoding="utf-8")

    notes = _chain([("first", first), ("second", second)]).compile(checkpointer=True)
    return _chain([("start", _sync_step("start")), ("notes", notes), ("peek", peek), ("end", _sync_step("end"))])


# -- @task calls inside a StateGraph node, one of them asking ----


@task
def polish_part(part: str) -> str:
    write(f"parts/{part}.txt", part.upper())
    return part.upper()


@task
def approve_parts(parts: list[str]) -> str:
    verdict = interrupt(f"Approve {'+'.join(parts)}?")
    write("parts/verdict.txt", str(verdict))
    return str(verdict)


def tasks_in_a_node() -> StateGraph:
    """``assemble`` (a StateGraph node) runs two ``@task`` calls in parallel, then one that asks:
    resumed, the finished tasks' results come from LangGraph's writes, not a second run."""

    def assemble(state: Count) -> Count:
        futures = [polish_part(part) for part in ("a", "b")]
        parts = [future.result() for future in futures]
        verdict = approve_parts(parts).result()
        append("parts/log.txt", f"assembled {parts} {verdict}\n")
        return {"n": state.get("n", 0) + 1, "log": [*parts, verdict]}

    return _chain([("start", _sync_step("start")), ("assemble", assemble), ("end", _sync_step("end"))])


# -- a Functional API entrypoint as a node of a StateGraph ----


def entrypoint_as_node() -> StateGraph:
    """``summarise`` is an ``@entrypoint`` (with a ``@task``) added as a node: its checkpoints
    live in a subgraph namespace; its return value is the parent's update."""

    @task
    def shout_line(line: str) -> str:
        append("summary/lines.txt", line.upper() + "\n")
        return line.upper()

    @entrypoint()
    def summarise(state: dict[str, Any]) -> dict[str, Any]:
        lines = [shout_line(item).result() for item in state.get("log", [])]
        write("summary/done.txt", str(len(lines)))
        return {"n": state.get("n", 0) + 1, "log": [f"summary of {len(lines)}"]}

    return _chain([("first", _sync_step("first")), ("summarise", summarise), ("last", _sync_step("last"))])


# -- a subgraph as the body of a loop ----


class Rounds(TypedDict, total=False):
    rounds: int
    log: Annotated[list[str], operator.add]


def subgraph_in_a_loop() -> StateGraph:
    """``round`` (a two-step subgraph) runs three times in a loop: three namespaces of one node."""

    def draft(state: Rounds) -> Rounds:
        append("loop/draft.txt", f"round {state.get('rounds', 0)}\n")
        return {"log": ["draft"]}

    def count(state: Rounds) -> Rounds:
        return {"rounds": state.get("rounds", 0) + 1}

    body = _chain([("draft", draft), ("count", count)], Rounds)

    def check(state: Rounds) -> Rounds:
        write("loop/check.txt", str(state.get("rounds", 0)))
        return {}

    graph = StateGraph(Rounds)
    graph.add_node("round", body.compile())
    graph.add_node("check", check)
    graph.add_edge(START, "round")
    graph.add_edge("round", "check")
    graph.add_conditional_edges("check", lambda s: "round" if s.get("rounds", 0) < 3 else END, ["round", END])
    return graph


def item_asker(question: str, path: str, result: str, slow_item: str | None = None) -> StateGraph:
    """A subgraph of one node, ``ask``, that asks ``question`` about its item, writes the answer
    to ``path`` and adds ``result`` to ``results`` (each formatted with ``item`` and
    ``verdict``). ``slow_item``: the instance for that item takes 0.3 s to finish once answered."""

    def ask(state: Piece) -> Piece:
        item = state["item"]
        verdict = interrupt(question.format(item=item))
        if item == slow_item:
            time.sleep(0.3)
        write(path.format(item=item), str(verdict))
        return {"results": [result.format(item=item, verdict=verdict)]}

    return _chain([("ask", ask)], Piece)


def send_to_asking_subgraph() -> StateGraph:
    """``plan`` sends two items to ``review``, a subgraph that asks about its item: two
    questions at once, each in its own instance of the subgraph."""

    inner = item_asker("Keep {item}?", "reviews/{item}.txt", "{item}:{verdict}")

    def plan(state: MapState) -> MapState:
        write("reviews/plan.txt", state["topic"])
        return {"items": [f"{state['topic']}{i}" for i in range(2)]}

    def gather(state: MapState) -> MapState:
        summary = ",".join(sorted(state.get("results", [])))
        write("reviews/summary.txt", summary)
        return {"summary": summary}

    return _map_reduce(plan, "review", inner, gather)


# -- async map-reduce into an async subgraph; a question after a join ----


def async_send_subgraph() -> StateGraph:
    """``plan`` sends three items to ``polish``, an async two-step subgraph; async all through."""

    async def shape(state: Piece) -> Piece:
        write(f"async_pieces/{state['item']}.txt", state["item"])
        return {}

    async def finish(state: Piece) -> Piece:
        await asyncio.sleep(0)
        append(f"async_pieces/{state['item']}.txt", "!")
        return {"results": [state["item"] + "!"]}

    inner = _chain([("shape", shape), ("finish", finish)], Piece)

    async def plan(state: MapState) -> MapState:
        return {"items": [f"{state['topic']}{i}" for i in range(3)]}

    async def gather(state: MapState) -> MapState:
        summary = ",".join(sorted(state.get("results", [])))
        write("async_pieces/summary.txt", summary)
        return {"summary": summary}

    return _map_reduce(plan, "polish", inner, gather)


def asks_after_a_join() -> StateGraph:
    """``left`` and ``right`` run in parallel, ``join`` waits for both and then asks."""

    def joined(state: JoinState) -> JoinState:
        text = f"{state['left']}|{state['right']}"
        verdict = interrupt(f"Join {text}?")
        write("joined.txt", f"{text}:{verdict}")
        return {"joined": f"{text}:{verdict}"}

    return _join_of(joined)



def asks_beside_asking_subgraph() -> StateGraph:
    """``plan`` sends one item to ``direct``, a node that asks, and one to ``review``, a
    subgraph that asks: a root node's question and a subgraph's at once. (A file ``direct``
    wrote would be caught half-written or not at the subgraph's steps, at random: thread
    timing, on both sides.)"""

    inner = item_asker("Review {item}?", "mixed/{item}.review", "review:{item}:{verdict}")

    def direct(state: WorkerInput) -> MapState:  # writes no file: it runs beside the subgraph's steps
        verdict = interrupt(f"Direct {state['item']}?")
        return {"results": [f"direct:{state['item']}:{verdict}"]}

    def plan(state: MapState) -> MapState:
        write("mixed/plan.txt", state["topic"])
        return {"items": ["x", "y"]}

    def gather(state: MapState) -> MapState:
        summary = ",".join(sorted(state.get("results", [])))
        write("mixed/summary.txt", summary)
        return {"summary": summary}

    graph = StateGraph(MapState)
    graph.add_node("plan", plan)
    graph.add_node("direct", direct)
    graph.add_node("review", inner.compile())
    graph.add_node("gather", gather)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges(
        "plan", lambda s: [Send("direct", {"item": s["items"][0]}), Send("review", {"item": s["items"][1]})],
        ["direct", "review"],
    )
    graph.add_edge("direct", "gather")
    graph.add_edge("review", "gather")
    graph.add_edge("gather", END)
    return graph


def asks_then_leaves_subgraph() -> StateGraph:
    """A subgraph's node asks, then leaves the subgraph for a node of the graph around it
    (``Command(graph=Command.PARENT)``) chosen by the answer."""

    def decide(state: Count) -> Command:
        verdict = interrupt(f"Ship at {state.get('n', 0)}?")
        write("leave/decision.txt", str(verdict))
        target = "ship" if verdict == "yes" else "rework"
        return Command(graph=Command.PARENT, goto=target, update={"log": [f"decide->{target}"]})

    inner = StateGraph(Count)
    inner.add_node("check", _sync_step("check"))
    inner.add_node("decide", decide)
    inner.add_edge(START, "check")
    inner.add_edge("check", "decide")
    inner.add_edge("decide", END)

    outer = StateGraph(Count)
    outer.add_node("prepare", _sync_step("prepare"))
    outer.add_node("review", inner.compile(), destinations=("ship", "rework"))
    outer.add_node("ship", _sync_step("ship"))
    outer.add_node("rework", _sync_step("rework"))
    outer.add_edge(START, "prepare")
    outer.add_edge("prepare", "review")
    outer.add_edge("ship", END)
    outer.add_edge("rework", END)
    return outer

CORPUS: dict[str, CorpusGraph] = {
    "async": CorpusGraph(async_chain, {"n": 0}, run_async=True),
    "mixed": CorpusGraph(mixed_chain, {"n": 0}, run_async=True, middle_step=2),
    "functional": CorpusGraph(functional, "tides", middle_step=0),
    "subgraph2": CorpusGraph(two_level_subgraph, {"n": 0}, subgraphs=True),
    "send": CorpusGraph(send_map_reduce, {"topic": "t"}),
    "join": CorpusGraph(join, {"topic": "t"}),
    "interrupt": CorpusGraph(single_interrupt, {"topic": "t"}, answers=[{"Approve the draft?": "yes"}], middle_step=2),
    "interrupt2": CorpusGraph(
        two_interrupts, {"topic": "t"}, answers=[{"Legal approves?": "ok", "Style approves?": "fine"}], middle_step=2
    ),
    "goto": CorpusGraph(command_goto, {"n": 11}),
    "parent": CorpusGraph(command_parent, {"n": 0}, subgraphs=True),
    "retry": CorpusGraph(retry, {"n": 0}),
    "cache": CorpusGraph(cached, {"x": 3}, middle_step=3),
    "react": CorpusGraph(react_agent, {"messages": [HumanMessage("Write two notes.", id="human-0")]}),
    "error_handler": CorpusGraph(error_handler, {"n": 0}),
    "timeout": CorpusGraph(timeout, {"n": 0}, run_async=True),
    "deferred": CorpusGraph(deferred, {"n": 0}),
    "pydantic": CorpusGraph(pydantic_schemas, {"item": "tea", "quantity": 3}),
    "subgraph_in_node": CorpusGraph(subgraph_in_node, {"n": 0}, subgraphs=True),
    "interrupt_in_subgraph": CorpusGraph(
        interrupt_in_subgraph, {"n": 0}, answers=[{"Publish the review?": "yes"}], subgraphs=True
    ),
    "send_subgraph": CorpusGraph(send_to_subgraph, {"topic": "t"}, subgraphs=True),
    "dataclass_loop": CorpusGraph(dataclass_loop, {"n": 0}, middle_step=2),
    "asking_workers": CorpusGraph(asking_workers, {"topic": "t"}, answers=[{"Keep a?": "yes", "Keep b?": "no"}]),
    "async_subgraph_asks": CorpusGraph(
        async_subgraph_asks, {"n": 0}, answers=[{"Ship it?": "yes"}], run_async=True, subgraphs=True
    ),
    "functional_asks": CorpusGraph(functional_asks, "sea", answers=[{"Keep 'sea #0'?": "ok"}], middle_step=0),
    "store": CorpusGraph(with_store, {"n": 0}),
    "approving_agent": CorpusGraph(
        approving_agent,
        {"messages": [HumanMessage("Write two notes.", id="human-0")]},
        answers=[{"Write note a?": "yes", "Write note b?": "no"}],
    ),
    "asking_subgraph_in_node": CorpusGraph(
        asking_subgraph_in_node, {"n": 0}, answers=[{"Keep the inner draft?": "yes"}]
    ),
    "asks_beside_writer": CorpusGraph(
        asks_beside_a_writer, {"topic": "t"}, answers=[{"Go ahead?": "yes"}], middle_step=0
    ),
    "rich_values": CorpusGraph(rich_values, {}),
    "io_schemas": CorpusGraph(io_schemas, {"question": "why"}),
    "goto_sends": CorpusGraph(goto_sends, {"topic": "t"}),
    "removed_messages": CorpusGraph(removed_messages, {"messages": [HumanMessage("hi", id="human-0")]}),
    "functional_parallel": CorpusGraph(functional_parallel, ["la", "do"], middle_step=0),
    "conditional_fanout": CorpusGraph(conditional_fanout, {"topic": "t"}),
    "private_channel": CorpusGraph(private_channel, {"text": "abc"}),
    "reshaping_files": CorpusGraph(reshaping_files, {"n": 0}, middle_step=2),
    "asks_twice": CorpusGraph(asks_twice, {"topic": "t"}, answers=[{"Your name?": "Ada"}, {"Your role?": "chief"}]),
    "overwrite": CorpusGraph(overwriting, {"items": ["x"]}),
    "unusual_nodes": CorpusGraph(unusual_nodes, {"n": 3}),
    "async_functional": CorpusGraph(async_functional, [1, 2, 3], run_async=True, middle_step=0),
    "persistent_subgraph": CorpusGraph(persistent_subgraph, {"n": 0}, subgraphs=True, middle_step=2),
    "tasks_in_a_node": CorpusGraph(tasks_in_a_node, {"n": 0}, answers=[{"Approve A+B?": "yes"}]),
    "entrypoint_as_node": CorpusGraph(entrypoint_as_node, {"n": 0}, subgraphs=True),
    "subgraph_in_a_loop": CorpusGraph(subgraph_in_a_loop, {"rounds": 0}, subgraphs=True, middle_step=3),
    "send_to_asking_subgraph": CorpusGraph(
        send_to_asking_subgraph, {"topic": "t"}, answers=[{"Keep t0?": "yes", "Keep t1?": "no"}], subgraphs=True
    ),
    "async_send_subgraph": CorpusGraph(async_send_subgraph, {"topic": "t"}, run_async=True, subgraphs=True),
    "asks_after_a_join": CorpusGraph(asks_after_a_join, {"topic": "t"}, answers=[{"Join L:t|R:t?": "ok"}]),
    "asks_beside_asking_subgraph": CorpusGraph(
        asks_beside_asking_subgraph, {"topic": "t"}, answers=[{"Direct x?": "dx", "Review y?": "ry"}], subgraphs=True
    ),
    "asks_then_leaves_subgraph": CorpusGraph(
        asks_then_leaves_subgraph, {"n": 0}, answers=[{"Ship at 2?": "yes"}], subgraphs=True
    ),
}
