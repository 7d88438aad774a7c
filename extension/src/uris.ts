// The `wtb:` virtual document scheme: content at a checkpoint, asked of the daemon.
//
//   wtb:/fixer 08932b50 @ step 6 · state.json?kind=state&execution=…&checkpoint=…
//   wtb:/out/fixer 08932b50 @ step 6 · answer.md?kind=file&execution=…&checkpoint=…&path=…
//   wtb:/<shared>/state.json?kind=state&…        (one side of a comparison, see `encode`)
//   wtb:/empty/<workspace path>?kind=empty         (the missing side of an added/removed file)
//
// The path part is only for people (tab titles, language detection from the extension); the
// query carries the ids. A document opened alone names its execution and step in its file
// name, so that the tab says where it comes from. The two sides of a comparison share one
// path (the comparison's name as the folder): VS Code marks a pair whose paths differ as a
// rename ("R", the left name struck through). Pure string functions: `contentProvider.ts`
// turns them into vscode.Uri.

export const SCHEME = 'wtb';

export type WtbDocument =
  | { kind: 'state'; executionId: string; checkpointId: string | null; step?: number | null; title?: string }
  | { kind: 'file'; executionId: string; checkpointId: string | null; path: string; step?: number | null; title?: string }
  | { kind: 'empty'; path: string }
  | { kind: 'batch'; batchId: string; workflow: string };

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

/** A name as one path segment (a `/` would start a folder). */
function segment(name: string): string {
  return name.replace(/[\\/]/g, '∕').trim() || '-';
}

/** The file name a document opened alone has: `<title> · <base name>`, in the path's folder. */
function named(title: string, path: string): string {
  const clean = cleanPath(path);
  const slash = clean.lastIndexOf('/');
  return `/${slash >= 0 ? `${clean.slice(0, slash)}/` : ''}${segment(title)} · ${clean.slice(slash + 1)}`;
}

/**
 * The URI parts of a document. `shared`: the name of a comparison this document is one side
 * of; both sides (and the empty side of an added or removed file) then get the same path,
 * `/<shared>/<workspace path>`, and differ only in their query.
 */
export function encode(doc: WtbDocument, opts: { shared?: string } = {}): UriParts {
  const parts = encodeIds(doc);
  if (doc.kind === 'batch') return parts;
  const file = doc.kind === 'state' ? 'state.json' : doc.path;
  if (opts.shared) return { path: `/${segment(opts.shared)}/${cleanPath(file)}`, query: parts.query };
  if (doc.kind === 'empty') return parts;
  return { path: named(doc.title ?? where(doc), file), query: parts.query };
}

function encodeIds(doc: WtbDocument): UriParts {
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
    case 'batch':
      q.set('batch', doc.batchId);
      q.set('workflow', doc.workflow);
      return { path: `/batch ${shortId(doc.batchId)} of ${segment(doc.workflow)}.md`, query: q.toString() };
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
    case 'batch': {
      const batchId = q.get('batch');
      if (!batchId) return new Error(`wtb: URI without a batch: ${parts.path}`);
      return { kind, batchId, workflow: q.get('workflow') ?? '' };
    }
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
