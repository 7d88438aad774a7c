// Factories for protocol records, with every field present as the daemon sends them.
import type { CheckpointInfo, ExecutionInfo, WorkflowInfo } from '../src/protocol';

export function makeWorkflow(name: string, over: Partial<WorkflowInfo> = {}): WorkflowInfo {
  return { name, ref: `./${name}.py:graph`, uri: `file:///ws/${name}.py`, path: `${name}.py`, line: 3, runCount: 0, ...over };
}

export function makeExecution(id: string, over: Partial<ExecutionInfo> = {}): ExecutionInfo {
  return {
    id, workflow: 'rag', status: 'completed', threadId: `wtb-${id}`, createdAt: 1_700_000_000, finishedAt: null, name: null,
    parentId: null, parentCheckpointId: null, batchId: null, headCheckpointId: null, nextNodes: [], config: {}, error: null, interrupts: [], rollbackUndoable: false, ...over,
  };
}

/** Checkpoint `step` of an execution; ids are `<exec>-cp<step>`, parent the step before. */
export function makeCheckpoint(executionId: string, step: number, over: Partial<CheckpointInfo> = {}): CheckpointInfo {
  return {
    id: `${executionId}-cp${step}`, executionId, step, source: step < 0 ? 'input' : 'loop', writes: {}, next: [],
    parentId: step > -1 ? `${executionId}-cp${step - 1}` : null, createdAt: `2023-11-14T22:13:${String(20 + step).padStart(2, '0')}.000000+00:00`,
    snapshotId: null, outputFiles: {}, namespace: '', interrupts: [], cached: [], replayed: [], errors: {}, retries: {}, ...over,
  };
}

/** A finished rag run: input, start, embed (writes index/), retrieve, generate (writes out/answer.md). */
export function ragCheckpoints(executionId: string): CheckpointInfo[] {
  return [
    makeCheckpoint(executionId, 3, { writes: { rag_generate: { answer: 'x' } }, outputFiles: { 'out/answer.md': 'h3' } }),
    makeCheckpoint(executionId, 2, { writes: { rag_retrieve: { retrieved: ['a'] } }, next: ['rag_generate'] }),
    makeCheckpoint(executionId, 1, { writes: { rag_embed_docs: { doc_count: 4 } }, next: ['rag_retrieve'], outputFiles: { 'index/vectors.json': 'h1', 'index/manifest.txt': 'h2' } }),
    makeCheckpoint(executionId, 0, { next: ['rag_embed_docs'] }),
    makeCheckpoint(executionId, -1, { writes: { __start__: { query: 'q' } }, next: ['__start__'] }),
  ];
}
