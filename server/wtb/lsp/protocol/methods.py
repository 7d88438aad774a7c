"""Method names, command names and error codes of the ``wtb/*`` protocol.

Requests the client sends, notifications the daemon sends, the commands of
``workspace/executeCommand`` (the CodeLenses use them) and the application error codes.
Which records each method carries is in :mod:`wtb.lsp.protocol.registry`.
"""

from __future__ import annotations

from typing import Final

# --------------------------------------------------------------------------- requests

LIST_WORKFLOWS: Final = "wtb/listWorkflows"
GET_GRAPH: Final = "wtb/getGraph"
LIST_EXECUTIONS: Final = "wtb/listExecutions"
GET_EXECUTION: Final = "wtb/getExecution"
GET_EXECUTION_TREE: Final = "wtb/getExecutionTree"
LIST_CHECKPOINTS: Final = "wtb/listCheckpoints"
GET_STATE: Final = "wtb/getState"
LIST_FILES: Final = "wtb/listFiles"
READ_FILE: Final = "wtb/readFile"
DIFF: Final = "wtb/diff"
RUN: Final = "wtb/run"
RESUME: Final = "wtb/resume"
CANCEL: Final = "wtb/cancel"
PLAN_ROLLBACK: Final = "wtb/planRollback"
ROLLBACK: Final = "wtb/rollback"
UNDO_ROLLBACK: Final = "wtb/undoRollback"
FORK: Final = "wtb/fork"
BATCH: Final = "wtb/batch"
STORAGE_STATS: Final = "wtb/storageStats"
DOCTOR: Final = "wtb/doctor"
MARK_GOLDEN: Final = "wtb/markGolden"
LIST_GOLDENS: Final = "wtb/listGoldens"
CHECK: Final = "wtb/check"
PRUNE: Final = "wtb/prune"

# ---------------------------------------------------------------- server → client

EXECUTION_CHANGED: Final = "wtb/executionChanged"
CHECKPOINT_ADDED: Final = "wtb/checkpointAdded"
WORKFLOWS_CHANGED: Final = "wtb/workflowsChanged"

# ------------------------------------------------- workspace/executeCommand commands

CMD_RUN: Final = "wtb.run"
CMD_FORK: Final = "wtb.fork"
CMD_BATCH: Final = "wtb.batch"
CMD_HISTORY: Final = "wtb.history"
#: The editor's own command (a debug session of the workflow through the ``wtb`` debugger);
#: a CodeLens names it, the daemon never runs it.
CMD_DEBUG: Final = "wtb.debug"

# ------------------------------------------------------------------- error codes
# Application codes live outside the ranges JSON-RPC (-32768..-32000) and LSP
# (-32899..-32800) reserve. Bad params use JSON-RPC's own -32602.

INVALID_PARAMS: Final = -32602
REQUEST_FAILED: Final = -32803  # LSP's "valid request that failed"; any other WTBError
NOT_FOUND: Final = 1001  # unknown workflow, execution or checkpoint id
WORKSPACE_UNTRUSTED: Final = 1002  # run/resume/fork/batch/rollback in an untrusted workspace
BUSY: Final = 1003  # another action holds the execution
NOT_AVAILABLE: Final = 1004  # the feature is in the protocol but not in this build yet
INVALID_STATE: Final = 1005  # the action does not fit the execution's status
WORKFLOW_LOAD: Final = 1006  # the workflow file cannot be imported / is not a graph
INTEGRITY: Final = 1007  # a stored blob is missing or corrupt
BENCH_UNAVAILABLE: Final = 1008  # the bench (data directory) could not be opened
