// The `wtb:` virtual document scheme: content at a checkpoint, asked of the daemon.
//
//   wtb:/<exec8>@<step>/state.json?kind=state&execution=…&checkpoint=…
//   wtb:/<exec8>@<step>/<workspace path>?kind=file&execution=…&checkpoint=…&path=…
//   wtb:/empty/<workspace path>?kind=empty         (the missing side of an added/removed file)
//
// The path part is only for people (tab titles, language detection from the extension); the
// query carries the ids. Pure string functions: `contentProvider.ts` turns them into vscode.Uri.

export const SCHEME = 'wtb';

export type WtbDocument =
  | { kind: 'state'; executionId: string; checkpointId: string | null; step?: number | null }
  | { kind: 'file'; executionId: string; checkpointId: string | null; path: string; step?: number | null }
  | { kind: 'empty'; path: string };

export interface UriParts {
  path: string;
  query: string;
}

/**
 * Eight characters that tell ids apart: the head of a plain id (executions), the tail of a
 * UUID (LangGraph's checkpoint ids are uuid6, whose heads are the time and look alike).
 */
export function shortId(id: string): string {
  return id.includes('-') ? id.replace(/-/g, '').slice(-8) : id.slice(0, 8);
}

function where(doc: { executionId: string; checkpointId: string | null; step?: number | null }): string {
  const at = doc.step != null ? String(doc.step) : doc.checkpointId ? shortId(doc.checkpointId) : 'head';
  return `${shortId(doc.executionId)}@${at}`;
}

/** Encodes a workspace path for the URI path part: keep `/`, drop leading ones. */
function cleanPath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\/+/, '');
}

export function encode(doc: WtbDocument): UriParts {
  const q = new URLSearchParams();
  q.set('kind', doc.kind);
  switch (doc.kind) {
    case 'state':
      q.set('execution', doc.executionId);
      if (doc.checkpointId) q.set('checkpoint', doc.checkpointId);
      if (doc.step != null) q.set('step', String(doc.step));
      return { path: `/${where(doc)}/state.json`, query: q.toString() };
    case 'file':
      q.set('execution', doc.executionId);
      if (doc.checkpointId) q.set('checkpoint', doc.checkpointId);
      if (doc.step != null) q.set('step', String(doc.step));
      q.set('path', doc.path);
      return { path: `/${where(doc)}/${cleanPath(doc.path)}`, query: q.toString() };
    case 'empty':
      q.set('path', doc.path);
      return { path: `/empty/${cleanPath(doc.path)}`, query: q.toString() };
  }
}

/** The document a `wtb:` URI stands for, or an Error saying what is wrong with it. */
export function decode(parts: UriParts): WtbDocument | Error {
  const q = new URLSearchParams(parts.query);
  const kind = q.get('kind');
  const executionId = q.get('execution');
  const checkpointId = q.get('checkpoint');
  const stepText = q.get('step');
  const step = stepText != null && /^-?\d+$/.test(stepText) ? Number(stepText) : null;
  const path = q.get('path');
  switch (kind) {
    case 'state':
      if (!executionId) return new Error(`wtb: URI without an execution: ${parts.path}`);
      return { kind, executionId, checkpointId, step };
    case 'file':
      if (!executionId || !path) return new Error(`wtb: URI without an execution or a path: ${parts.path}`);
      return { kind, executionId, checkpointId, path, step };
    case 'empty':
      return { kind, path: path ?? '' };
    default:
      return new Error(`wtb: URI of unknown kind ${JSON.stringify(kind)}: ${parts.path}`);
  }
}

/** JSON with object keys sorted at every level: stable text, so diffs show real changes only. */
export function stableJson(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
