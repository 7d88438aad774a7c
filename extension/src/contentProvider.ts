// Read-only documents at a checkpoint (`wtb:` URIs, see uris.ts): a checkpoint's state as
// JSON (wtb/getState) and a workspace file's content (wtb/readFile). Content at a checkpoint
// never changes, so VS Code's cache of open documents is right as it is.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import * as p from './protocol';
import { describeError, isRpcError } from './errors';
import { decode, encode, SCHEME, stableJson, type WtbDocument } from './uris';
import { shownState } from './format';
import { batchText } from './batches';

/** `shared`: the comparison this document is a side of (both sides get one path: no rename look). */
export function toUri(doc: WtbDocument, opts: { missingOk?: boolean; shared?: string } = {}): vscode.Uri {
  const parts = encode(doc, { shared: opts.shared });
  const query = opts.missingOk ? `${parts.query}&missingOk=1` : parts.query;
  return vscode.Uri.from({ scheme: SCHEME, path: parts.path, query });
}

export class CheckpointContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly ctx: Ctx) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const doc = decode({ path: uri.path, query: uri.query });
    if (doc instanceof Error) throw doc;
    const missingOk = new URLSearchParams(uri.query).get('missingOk') === '1';
    try {
      switch (doc.kind) {
        case 'empty':
          return '';
        case 'batch':
          return batchText(this.ctx, doc.batchId, doc.workflow);
        case 'state': {
          const result = await this.ctx.request(p.GET_STATE, { executionId: doc.executionId, checkpointId: doc.checkpointId }, token);
          return stableJson(shownState(result.values));
        }
        case 'file': {
          const result = await this.ctx.request(p.READ_FILE, {
            executionId: doc.executionId, checkpointId: doc.checkpointId, path: doc.path, encoding: 'auto',
          }, token);
          if (result.encoding === 'base64') return `(binary file, ${result.size} bytes: not shown)\n`;
          return result.content;
        }
      }
    } catch (e) {
      // The missing side of a diff (a file the step created or deleted) is empty.
      if (missingOk && isRpcError(e) && e.code === p.NOT_FOUND) return '';
      this.ctx.output.error(`${uri.toString()}: ${describeError(e)}`);
      throw new Error(`WTB: ${describeError(e)}`);
    }
  }
}
