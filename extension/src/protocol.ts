// The `wtb/*` protocol, mirrored from server/wtb/lsp/protocol.py (the single source of truth;
// docs/protocol.md documents it). Same method names, same records, camelCase on the wire, every
// field present (`null` when empty). Additions on the server are fine; keep this file in step.
//
// Only types and string constants here: no `vscode` and no `vscode-languageclient` import, so
// that unit tests can load it in plain Node. `lsp.ts` turns the constants into typed
// RequestType/NotificationType objects.

// --------------------------------------------------------------------------- requests

export const LIST_WORKFLOWS = 'wtb/listWorkflows';
export const GET_GRAPH = 'wtb/getGraph';
export const LIST_EXECUTIONS = 'wtb/listExecutions';
export const GET_EXECUTION = 'wtb/getExecution';
export const GET_EXECUTION_TREE = 'wtb/getExecutionTree';
export const LIST_CHECKPOINTS = 'wtb/listCheckpoints';
export const GET_STATE = 'wtb/getState';
export const LIST_FILES = 'wtb/listFiles';
export const READ_FILE = 'wtb/readFile';
export const DIFF = 'wtb/diff';
export const RUN = 'wtb/run';
export const RESUME = 'wtb/resume';
export const CANCEL = 'wtb/cancel';
export const PLAN_ROLLBACK = 'wtb/planRollback';
export const ROLLBACK = 'wtb/rollback';
export const UNDO_ROLLBACK = 'wtb/undoRollback';
export const FORK = 'wtb/fork';
export const BATCH = 'wtb/batch';
export const STORAGE_STATS = 'wtb/storageStats';
export const DOCTOR = 'wtb/doctor';
export const MARK_GOLDEN = 'wtb/markGolden';
export const LIST_GOLDENS = 'wtb/listGoldens';
export const CHECK = 'wtb/check';
export const PRUNE = 'wtb/prune';

// ---------------------------------------------------------------- server → client

export const EXECUTION_CHANGED = 'wtb/executionChanged';
export const CHECKPOINT_ADDED = 'wtb/checkpointAdded';
export const WORKFLOWS_CHANGED = 'wtb/workflowsChanged';

// ------------------------------------------------- workspace/executeCommand commands
// The daemon's CodeLenses carry these commands with arguments `[workflow, options?]`.

export const CMD_RUN = 'wtb.run';
export const CMD_FORK = 'wtb.fork';
export const CMD_BATCH = 'wtb.batch';
export const CMD_HISTORY = 'wtb.history';

// ------------------------------------------------------------------- error codes

export const INVALID_PARAMS = -32602;
export const REQUEST_FAILED = -32803;
export const NOT_FOUND = 1001;
export const WORKSPACE_UNTRUSTED = 1002;
export const BUSY = 1003;
export const NOT_AVAILABLE = 1004;
export const INVALID_STATE = 1005;
export const WORKFLOW_LOAD = 1006;
export const INTEGRITY = 1007;
export const BENCH_UNAVAILABLE = 1008;

export type ExecutionStatusName = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type ProgressToken = number | string;
export type FileEncoding = 'auto' | 'text' | 'base64';
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

export const FINAL_STATUSES: readonly ExecutionStatusName[] = ['completed', 'failed', 'cancelled'];

// ======================================================== initializationOptions

export interface FileTrackingOptions {
  enabled?: boolean;
  paths?: string[] | null;
  ignore?: string[] | null;
  maxFileSize?: string | number | null;
  watch?: boolean;
}

export interface InitializationOptions {
  dataDir?: string | null;
  trusted?: boolean;
  fileTracking?: FileTrackingOptions | null;
  runTimeoutS?: number | null;
  python?: string | null;
  /** Keep one worker with LangGraph imported waiting for the next run (trusted workspaces only). */
  warmWorker?: boolean;
}

// =============================================================== shared records

/** A workflow of the workspace; `uri`/`line` point at its graph definition (0-based line). */
export interface WorkflowInfo {
  name: string;
  ref: string | null;
  uri: string | null;
  path: string | null;
  line: number | null;
  runCount: number;
}

export interface GraphNode {
  id: string;
  uri: string | null;
  path: string | null;
  line: number | null;
}

export interface GraphEdge {
  source: string;
  target: string;
  conditional: boolean;
}

export interface ExecutionErrorInfo {
  node: string | null;
  type: string;
  message: string;
  traceback: string;
}

/** An execution without its state (`wtb/getState` returns that). */
export interface ExecutionInfo {
  id: string;
  workflow: string;
  status: ExecutionStatusName;
  threadId: string;
  createdAt: number;
  finishedAt: number | null;
  name: string | null;
  parentId: string | null;
  parentCheckpointId: string | null;
  batchId: string | null;
  headCheckpointId: string | null;
  nextNodes: string[];
  config: JsonObject;
  error: ExecutionErrorInfo | null;
}

export interface ExecutionTreeNode {
  execution: ExecutionInfo;
  children: ExecutionTreeNode[];
}

/** One super-step boundary; `outputFiles` maps a path the step changed to its hash (null: deleted). */
export interface CheckpointInfo {
  id: string;
  executionId: string;
  step: number;
  source: string;
  writes: JsonObject;
  next: string[];
  parentId: string | null;
  createdAt: string;
  snapshotId: string | null;
  outputFiles: Record<string, string | null>;
}

export interface FileEntryInfo {
  path: string;
  kind: 'file' | 'symlink' | 'skipped';
  hash: string | null;
  size: number;
  mode: number;
  target: string | null;
}

/** A checkpoint of an execution; `checkpointId` null means the execution's head. */
export interface CheckpointRef {
  executionId: string;
  checkpointId?: string | null;
}

// =============================================================== params / results

export type ListWorkflowsParams = Record<string, never>;
export interface ListWorkflowsResult {
  workflows: WorkflowInfo[];
}

export interface GetGraphParams {
  workflow: string;
}
export interface GetGraphResult {
  workflow: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface ListExecutionsParams {
  workflow?: string | null;
  limit?: number;
  offset?: number;
}
export interface ListExecutionsResult {
  executions: ExecutionInfo[];
}

export interface GetExecutionParams {
  executionId: string;
}

export interface GetExecutionTreeParams {
  workflow?: string | null;
}
export interface GetExecutionTreeResult {
  roots: ExecutionTreeNode[];
}

/** Newest first. `before`: a checkpoint id; the page starts just below it. */
export interface ListCheckpointsParams {
  executionId: string;
  limit?: number;
  before?: string | null;
}
export interface ListCheckpointsResult {
  checkpoints: CheckpointInfo[];
  /** Pass as `before` for the next page; null: no more. */
  nextBefore: string | null;
}

export interface GetStateParams {
  executionId: string;
  checkpointId?: string | null;
}
export interface GetStateResult {
  executionId: string;
  checkpointId: string | null;
  values: JsonObject;
}

export interface ListFilesParams {
  executionId: string;
  checkpointId?: string | null;
}
export interface ListFilesResult {
  executionId: string;
  checkpointId: string | null;
  files: FileEntryInfo[];
}

/** `encoding`: `auto` gives text when the bytes are UTF-8, base64 otherwise. */
export interface ReadFileParams {
  executionId: string;
  checkpointId?: string | null;
  path: string;
  encoding?: FileEncoding;
}
export interface ReadFileResult {
  path: string;
  encoding: 'text' | 'base64';
  content: string;
  size: number;
}

export interface DiffParams {
  a: CheckpointRef;
  b: CheckpointRef;
}
export interface StateDiffInfo {
  added: JsonObject;
  removed: JsonObject;
  /** key → [old, new] */
  changed: Record<string, [unknown, unknown]>;
}
export interface FileDiffInfo {
  added: Record<string, string | null>;
  removed: Record<string, string | null>;
  /** path → [old hash, new hash] */
  modified: Record<string, [string | null, string | null]>;
}
export interface DiffResult {
  state: StateDiffInfo;
  files: FileDiffInfo;
}

/**
 * Start a run in a worker process. Answers as soon as the execution exists (`wait` false);
 * the end is signalled by `wtb/executionChanged`.
 */
export interface RunParams {
  workflow: string;
  initialState?: JsonObject | null;
  config?: JsonObject | null;
  name?: string | null;
  timeoutS?: number | null;
  wait?: boolean;
  workDoneToken?: ProgressToken | null;
  pauseBefore?: string[] | null;
  pauseAfter?: string[] | null;
  pauseOnError?: boolean;
  pauseEveryStep?: boolean;
}
/** The execution (status `pending`/`running`, or final when `wait` was true). */
export interface ExecutionStarted {
  execution: ExecutionInfo;
  progressToken: ProgressToken | null;
}

/** `stateUpdates` are applied first (as `asNode` when given); `resumeValue` answers an `interrupt()`. */
export interface ResumeParams {
  executionId: string;
  stateUpdates?: JsonObject | null;
  timeoutS?: number | null;
  wait?: boolean;
  workDoneToken?: ProgressToken | null;
  asNode?: string | null;
  resumeValue?: unknown;
}

export interface CancelParams {
  executionId: string;
}
export interface CancelResult {
  execution: ExecutionInfo;
  wasRunning: boolean;
}

export interface PlanRollbackParams {
  executionId: string;
  checkpointId: string;
}
export interface PlanRollbackResult {
  writes: string[];
  deletes: string[];
}

export interface RollbackParams {
  executionId: string;
  checkpointId: string;
}
export interface RollbackResult {
  executionId: string;
  checkpointId: string;
  previousCheckpointId: string | null;
  filesWritten: string[];
  filesRemoved: string[];
  undoSnapshotId: string | null;
}

export interface UndoRollbackParams {
  executionId: string;
}

/** Fork at a checkpoint (null: the head); `run` true resumes the fork in a worker at once. */
export interface ForkParams {
  executionId: string;
  checkpointId?: string | null;
  stateUpdates?: JsonObject | null;
  config?: JsonObject | null;
  name?: string | null;
  run?: boolean;
  timeoutS?: number | null;
  workDoneToken?: ProgressToken | null;
}

/** One variant; `nodeOverrides` maps a node to a `"file.py:function"` that replaces it. */
export interface BatchVariant {
  name?: string | null;
  initialState?: JsonObject | null;
  config?: JsonObject | null;
  stateUpdates?: JsonObject | null;
  nodeOverrides?: Record<string, string> | null;
}
/** Answers when the batch has ended; `$/cancelRequest` on it cancels the batch. */
export interface BatchParams {
  workflow: string;
  variants: BatchVariant[];
  fromCheckpoint?: CheckpointRef | null;
  maxParallel?: number | null;
  backend?: 'ray' | 'local' | null;
  workDoneToken?: ProgressToken | null;
}
/** `summary` is the batch's full record (per-variant outcome, timings, comparison). */
export interface BatchResult {
  batchId: string;
  status: string;
  executions: ExecutionInfo[];
  summary: JsonObject;
}

export type StorageStatsParams = Record<string, never>;
export interface StorageStatsResult {
  blobs: number;
  bytesStored: number;
  bytesReferenced: number;
  snapshots: number;
  dedupRatio: number;
  perProject: Record<string, Record<string, number>>;
}

/** `measureDataDir: false` skips walking the data directory for its size. */
export interface DoctorParams {
  measureDataDir?: boolean;
}
/**
 * How snapshots find changed files. `mode`: `inotify`, `watchdog` or `polling` while the file
 * watcher is trusted; `walking` when snapshots walk the workspace (`reason` says why); `off`
 * when nothing watches. `roundTripMs`: the last barrier's cookie round trip (null: none yet);
 * `barrierTimeouts`: barriers that ever timed out.
 */
export interface WatcherInfo {
  mode: string;
  reason: string;
  roundTripMs: number | null;
  barrierTimeouts: number;
}
/** What `wtb doctor` prints; the daemon runs a live barrier on its watcher first. */
export interface DoctorResult {
  python: string;
  /** library → version (null: not installed) */
  libraries: Record<string, string | null>;
  watcher: WatcherInfo;
  workspace: string;
  dataDir: string;
  dataDirBytes: number;
  rayImportable: boolean;
  problems: string[];
}

/** A known-good completed execution that `wtb/check` compares new runs with. */
export interface GoldenInfo {
  name: string;
  executionId: string;
  workflow: string;
  createdAt: number;
}
export interface MarkGoldenParams {
  executionId: string;
  name?: string | null;
}
export interface ListGoldensParams {
  workflow?: string | null;
}
export interface ListGoldensResult {
  goldens: GoldenInfo[];
}
export interface CheckParams {
  workflow?: string | null;
  golden?: string | null;
  initialState?: JsonObject | null;
  ignoreKeys?: string[] | null;
  ignorePaths?: string[] | null;
  relTolerance?: number;
  absTolerance?: number;
  workDoneToken?: ProgressToken | null;
}
/** One difference; `kind`: `key` (a state key), `file` or `length` (number of checkpoints). */
export interface DivergenceInfo {
  step: number;
  checkpointId: string | null;
  node: string | null;
  kind: string;
  name: string;
  expected: unknown;
  actual: unknown;
  diff: string;
}
export interface CheckResultInfo {
  golden: string;
  goldenExecutionId: string;
  executionId: string;
  passed: boolean;
  checkpointsCompared: number;
  divergence: DivergenceInfo | null;
  differences: DivergenceInfo[];
  report: string;
}
export interface PruneParams {
  keepLast?: number | null;
  olderThanS?: number | null;
  keepGolden?: boolean;
  keepForksOfKept?: boolean;
  maxStorage?: string | number | null;
}
export interface PruneResult {
  deleted: string[];
  kept: number;
  blobsRemoved: number;
  bytesFreed: number;
}

/** What `wtb.history` answers: the workflow's executions, newest first. */
export interface HistoryResult {
  workflow: string;
  executions: ExecutionInfo[];
}

// ------------------------------------------------------------------ notifications

/** Sent on every status or head change (created, running, paused, finished, rolled back). */
export interface ExecutionChangedParams {
  execution: ExecutionInfo;
}
export interface CheckpointAddedParams {
  executionId: string;
  checkpoint: CheckpointInfo;
}
export interface WorkflowsChangedParams {
  workflows: WorkflowInfo[];
}

// ---------------------------------------------------------------------- registry

/** method → [params, result]: every request the daemon answers (the type-level registry). */
export interface Requests {
  [LIST_WORKFLOWS]: [ListWorkflowsParams, ListWorkflowsResult];
  [GET_GRAPH]: [GetGraphParams, GetGraphResult];
  [LIST_EXECUTIONS]: [ListExecutionsParams, ListExecutionsResult];
  [GET_EXECUTION]: [GetExecutionParams, ExecutionInfo];
  [GET_EXECUTION_TREE]: [GetExecutionTreeParams, GetExecutionTreeResult];
  [LIST_CHECKPOINTS]: [ListCheckpointsParams, ListCheckpointsResult];
  [GET_STATE]: [GetStateParams, GetStateResult];
  [LIST_FILES]: [ListFilesParams, ListFilesResult];
  [READ_FILE]: [ReadFileParams, ReadFileResult];
  [DIFF]: [DiffParams, DiffResult];
  [RUN]: [RunParams, ExecutionStarted];
  [RESUME]: [ResumeParams, ExecutionStarted];
  [CANCEL]: [CancelParams, CancelResult];
  [PLAN_ROLLBACK]: [PlanRollbackParams, PlanRollbackResult];
  [ROLLBACK]: [RollbackParams, RollbackResult];
  [UNDO_ROLLBACK]: [UndoRollbackParams, RollbackResult];
  [FORK]: [ForkParams, ExecutionStarted];
  [BATCH]: [BatchParams, BatchResult];
  [STORAGE_STATS]: [StorageStatsParams, StorageStatsResult];
  [DOCTOR]: [DoctorParams, DoctorResult];
  [MARK_GOLDEN]: [MarkGoldenParams, GoldenInfo];
  [LIST_GOLDENS]: [ListGoldensParams, ListGoldensResult];
  [CHECK]: [CheckParams, CheckResultInfo];
  [PRUNE]: [PruneParams, PruneResult];
}
export type RequestMethod = keyof Requests;
export type ParamsOf<M extends RequestMethod> = Requests[M][0];
export type ResultOf<M extends RequestMethod> = Requests[M][1];

/** Every request method, in protocol.py's order (a unit test compares this list with the file). */
export const REQUEST_METHODS: readonly RequestMethod[] = [
  LIST_WORKFLOWS, GET_GRAPH, LIST_EXECUTIONS, GET_EXECUTION, GET_EXECUTION_TREE, LIST_CHECKPOINTS,
  GET_STATE, LIST_FILES, READ_FILE, DIFF, RUN, RESUME, CANCEL, PLAN_ROLLBACK, ROLLBACK,
  UNDO_ROLLBACK, FORK, BATCH, STORAGE_STATS, DOCTOR, MARK_GOLDEN, LIST_GOLDENS, CHECK, PRUNE,
];

export interface Notifications {
  [EXECUTION_CHANGED]: ExecutionChangedParams;
  [CHECKPOINT_ADDED]: CheckpointAddedParams;
  [WORKFLOWS_CHANGED]: WorkflowsChangedParams;
}
export type NotificationMethod = keyof Notifications;
export const NOTIFICATION_METHODS: readonly NotificationMethod[] = [EXECUTION_CHANGED, CHECKPOINT_ADDED, WORKFLOWS_CHANGED];

/** The daemon's executeCommand commands (its CodeLenses use them). */
export const COMMANDS: readonly string[] = [CMD_RUN, CMD_FORK, CMD_BATCH, CMD_HISTORY];

/** Requests that run workflow code (importing a workflow file runs it) or change workspace files: refused when untrusted. */
export const TRUST_REQUIRED: ReadonlySet<string> = new Set([GET_GRAPH, RUN, RESUME, FORK, BATCH, ROLLBACK, UNDO_ROLLBACK, CHECK]);

/** A readable name for an application error code (for messages and logs). */
export function errorCodeName(code: number): string | undefined {
  switch (code) {
    case INVALID_PARAMS: return 'invalid params';
    case REQUEST_FAILED: return 'request failed';
    case NOT_FOUND: return 'not found';
    case WORKSPACE_UNTRUSTED: return 'workspace not trusted';
    case BUSY: return 'busy';
    case NOT_AVAILABLE: return 'not available';
    case INVALID_STATE: return 'invalid state';
    case WORKFLOW_LOAD: return 'workflow load error';
    case INTEGRITY: return 'integrity error';
    case BENCH_UNAVAILABLE: return 'data directory unavailable';
    default: return undefined;
  }
}
