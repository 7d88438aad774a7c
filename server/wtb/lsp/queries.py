"""Read-only ``wtb/*`` requests: workflows, graphs, executions, checkpoints, state, files, diffs.

Each one is a blocking SDK call run in the bench's thread pool, so they keep answering
while runs are going.
"""

from __future__ import annotations

import base64
from pathlib import Path

from wtb import errors
from wtb.lsp import codelens, graphs, records
from wtb.lsp import protocol as p
from wtb.lsp.registry import request
from wtb.lsp.server import WtbLanguageServer
from wtb.lsp.uris import path_to_uri, reference_file, relative
from wtb.models import to_jsonable

MAX_PAGE = 1000


def check_page(limit: int, what: str) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise errors.InvalidArgumentError(f"{what}: limit must be between 1 and {MAX_PAGE}, got {limit}.")


# -- workflows --------------------------------------------------------------------------


async def workflow_refs(ls: WtbLanguageServer) -> dict[str, str]:
    projects = await ls.bench_host.call(lambda bench: bench.list_projects())
    return {proj.name: proj.reference for proj in projects if proj.reference}


async def ensure_project(ls: WtbLanguageServer, name: str) -> None:
    """A workflow named by its reference (an undeclared ``StateGraph`` of a CodeLens) is registered."""
    bench = await ls.bench_host.get()

    def ensure() -> None:
        try:
            bench.get_project(name)
        except errors.UnknownProjectError:
            file, sep, attr = name.rpartition(":")
            if not (sep and file.endswith(".py") and attr.isidentifier() and (bench.workspace / file).is_file()):
                raise
            from wtb.config import WorkflowProject

            bench.register_project(WorkflowProject(name=name, graph=name))

    await ls.bench_host.run(ensure)


@request(p.LIST_WORKFLOWS)
async def list_workflows(ls: WtbLanguageServer, params: p.ListWorkflowsParams) -> p.ListWorkflowsResult:
    bench = await ls.bench_host.get()

    def build() -> list[p.WorkflowInfo]:
        out = []
        for proj in bench.list_projects():
            ref = proj.reference
            info = p.WorkflowInfo(name=proj.name, ref=ref)
            file = reference_file(ref, bench.workspace) if ref else None
            if ref and file is not None:
                info.uri, info.path = path_to_uri(file), relative(file, bench.workspace)
                try:
                    names, _ = codelens.definition_lines(file.read_text(encoding="utf-8"))
                    info.line = names.get(ref.rpartition(":")[2])
                except (OSError, UnicodeDecodeError):
                    pass
            info.run_count = bench.count_executions(proj.name)
            out.append(info)
        return out

    return p.ListWorkflowsResult(workflows=await ls.bench_host.run(build))


async def run_count(ls: WtbLanguageServer, workflow: str) -> int:
    return int(await ls.bench_host.call(lambda bench: bench.count_executions(workflow)))


@request(p.GET_GRAPH)
async def get_graph(ls: WtbLanguageServer, params: p.GetGraphParams) -> p.GetGraphResult:
    await ensure_project(ls, params.workflow)
    info = await graphs.describe(ls, params.workflow)
    workspace = ls.bench_host.workspace or Path(".")
    return p.GetGraphResult(
        workflow=params.workflow,
        nodes=[records.graph_node(n, workspace) for n in info.nodes],
        edges=[records.graph_edge(e) for e in info.edges],
        input_schema=info.input_schema,
        state_schema=info.state_schema,
    )


# -- executions and checkpoints -------------------------------------------------------------


async def _check_workflow(ls: WtbLanguageServer, workflow: str | None) -> None:
    if workflow is not None:
        await ensure_project(ls, workflow)


@request(p.LIST_EXECUTIONS)
async def list_executions(ls: WtbLanguageServer, params: p.ListExecutionsParams) -> p.ListExecutionsResult:
    check_page(params.limit, p.LIST_EXECUTIONS)
    if params.offset < 0:
        raise errors.InvalidArgumentError(f"{p.LIST_EXECUTIONS}: offset must be 0 or more.")
    found = await ls.bench_host.call(
        lambda bench: bench.list_executions(project=params.workflow, limit=params.limit, offset=params.offset)
    )
    if not found:
        await _check_workflow(ls, params.workflow)
    return p.ListExecutionsResult(executions=[records.execution(e) for e in found])


@request(p.GET_EXECUTION)
async def get_execution(ls: WtbLanguageServer, params: p.GetExecutionParams) -> p.ExecutionInfo:
    return records.execution(await ls.bench_host.call(lambda bench: bench.get_execution(params.execution_id)))


@request(p.GET_EXECUTION_TREE)
async def get_execution_tree(ls: WtbLanguageServer, params: p.GetExecutionTreeParams) -> p.GetExecutionTreeResult:
    roots = await ls.bench_host.call(lambda bench: bench.get_execution_tree(params.workflow))
    if not roots:
        await _check_workflow(ls, params.workflow)
    return p.GetExecutionTreeResult(roots=[records.tree_node(r) for r in roots])


@request(p.LIST_CHECKPOINTS)
async def list_checkpoints(ls: WtbLanguageServer, params: p.ListCheckpointsParams) -> p.ListCheckpointsResult:
    check_page(params.limit, p.LIST_CHECKPOINTS)
    found = await ls.bench_host.call(
        lambda bench: bench.get_checkpoints(
            params.execution_id, limit=params.limit + 1, before=params.before, subgraphs=params.subgraphs
        )
    )
    page = [records.checkpoint(c) for c in found[: params.limit]]
    more = len(found) > params.limit
    return p.ListCheckpointsResult(checkpoints=page, next_before=page[-1].id if more and page else None)


async def _head(ls: WtbLanguageServer, execution_id: str, checkpoint_id: str | None) -> str | None:
    if checkpoint_id is not None:
        return checkpoint_id
    head = await ls.bench_host.call(lambda bench: bench.get_execution(execution_id))
    return records.execution(head).head_checkpoint_id


@request(p.GET_STATE)
async def get_state(ls: WtbLanguageServer, params: p.GetStateParams) -> p.GetStateResult:
    state = await ls.bench_host.call(lambda bench: bench.get_state(params.execution_id, params.checkpoint_id))
    values = to_jsonable(state)
    return p.GetStateResult(
        execution_id=params.execution_id,
        checkpoint_id=await _head(ls, params.execution_id, params.checkpoint_id),
        values=values if isinstance(values, dict) else {"value": values},
    )


@request(p.LIST_FILES)
async def list_files(ls: WtbLanguageServer, params: p.ListFilesParams) -> p.ListFilesResult:
    files = await ls.bench_host.call(lambda bench: bench.get_files(params.execution_id, params.checkpoint_id))
    return p.ListFilesResult(
        execution_id=params.execution_id,
        checkpoint_id=await _head(ls, params.execution_id, params.checkpoint_id),
        files=[records.file_entry(files[path]) for path in sorted(files)],
    )


@request(p.READ_FILE)
async def read_file(ls: WtbLanguageServer, params: p.ReadFileParams) -> p.ReadFileResult:
    data = await ls.bench_host.call(
        lambda bench: bench.read_file(params.execution_id, params.checkpoint_id, params.path)
    )
    encoding = params.encoding
    if encoding == "auto":
        encoding = "text" if _is_utf8(data) else "base64"
    as_text = encoding == "text"
    content = data.decode("utf-8", errors="replace") if as_text else base64.b64encode(data).decode("ascii")
    return p.ReadFileResult(path=params.path, encoding=encoding, content=content, size=len(data))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@request(p.DIFF)
async def diff(ls: WtbLanguageServer, params: p.DiffParams) -> p.DiffResult:
    a, b = params.a, params.b
    result = await ls.bench_host.call(
        lambda bench: bench.diff(a.execution_id, a.checkpoint_id, b.execution_id, b.checkpoint_id)
    )
    return records.diff_result(result)


@request(p.STORAGE_STATS)
async def storage_stats(ls: WtbLanguageServer, params: p.StorageStatsParams) -> p.StorageStatsResult:
    return records.storage_stats(await ls.bench_host.call(lambda bench: bench.storage_stats()))


@request(p.DOCTOR)
async def doctor(ls: WtbLanguageServer, params: p.DoctorParams) -> p.DoctorResult:
    report = await ls.bench_host.call(lambda bench: bench.doctor(measure_data_dir=params.measure_data_dir))
    return records.doctor(report)
