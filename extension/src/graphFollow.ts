// What the graph view marks and says for the execution or checkpoint it shows (pure, tested):
// for a running execution the nodes running now (LangGraph's `next` of its newest checkpoint),
// for a paused or cancelled one the nodes due next (joins included: `next` is LangGraph's own),
// for a failed one the node that raised. The panel recomputes it at every checkpoint and status
// change of the execution it follows.

import type { CheckpointInfo, ExecutionInfo } from './protocol';
import type { Highlight } from './graphLayout';
import { checkpointNode, checkpointTitle, executionTitle } from './format';

export interface GraphFocus {
  highlight: Highlight;
  caption: string;
}

/** The graph nodes that ran in the step that ended at this checkpoint (none for input/update/fork). */
export function ranNodes(cp: CheckpointInfo | undefined): string[] {
  return cp?.source === 'loop' ? Object.keys(cp.writes ?? {}).filter((k) => !k.startsWith('__')) : [];
}

/** The newest checkpoint of the root graph (subgraph steps have their own `next`). */
export function latestRoot(checkpoints: readonly CheckpointInfo[]): CheckpointInfo | undefined {
  let best: CheckpointInfo | undefined;
  for (const cp of checkpoints) {
    if (cp.namespace) continue;
    if (!best || cp.createdAt > best.createdAt || (cp.createdAt === best.createdAt && cp.step > best.step)) best = cp;
  }
  return best;
}

const list = (nodes: readonly string[]) => nodes.join(', ');

/** A checkpoint picked in the tree: what ran in its step and what comes next from it. */
export function checkpointFocus(e: ExecutionInfo | undefined, cp: CheckpointInfo): GraphFocus {
  const title = checkpointTitle(e ?? cp.executionId, cp.step, cp.id);
  return {
    highlight: { last: ranNodes(cp), next: cp.next },
    caption: `${title} · ${checkpointNode(cp)}${cp.next.length ? ` → next: ${list(cp.next)}` : ''}`,
  };
}

/** An execution, live: `head` is its newest root checkpoint while it runs, else its head. */
export function executionFocus(e: ExecutionInfo, head: CheckpointInfo | undefined): GraphFocus {
  const name = executionTitle(e);
  const step = head ? ` (step ${head.step} done)` : '';
  const next = head?.next.length ? head.next : e.nextNodes;
  switch (e.status) {
    case 'pending':
      return { highlight: {}, caption: `${name}: starting…` };
    case 'running':
      return {
        highlight: { last: ranNodes(head), running: head?.next ?? [] },
        caption: head?.next.length ? `${name}: running ${list(head.next)}${step}` : `${name}: running${step}`,
      };
    case 'paused': {
      const asking = (e.interrupts ?? []).map((q) => q.node).filter((n): n is string => !!n);
      return {
        highlight: { last: ranNodes(head), next },
        caption: asking.length ? `${name}: paused, ${list(asking)} waits for an answer${step}`
          : `${name}: paused${next.length ? ` before ${list(next)}` : ''}${step}`,
      };
    }
    case 'cancelled':
      return {
        highlight: { last: ranNodes(head), next },
        caption: `${name}: cancelled${step}${next.length ? `; next would have been ${list(next)}` : ''}`,
      };
    case 'failed': {
      const node = e.error?.node;
      return {
        highlight: { last: ranNodes(head), failed: node ? [node] : [] },
        caption: `${name}: failed${node ? ` in ${node}` : ''}${e.error ? ` — ${e.error.type}: ${e.error.message.split('\n')[0]}` : ''}`,
      };
    }
    case 'completed':
      return { highlight: { last: ranNodes(head) }, caption: `${name}: completed${head ? ` at step ${head.step}` : ''}` };
  }
}
