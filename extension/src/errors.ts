// Turning what a request throws into one line a person can act on. Pure (duck-typed on
// vscode-jsonrpc's ResponseError: `{code, message, data}`), so it is unit-tested in Node.

import { errorCodeName, WORKFLOW_LOAD, WORKSPACE_UNTRUSTED } from './protocol';

export interface RpcErrorLike {
  code: number;
  message: string;
  data?: unknown;
}

export function isRpcError(e: unknown): e is RpcErrorLike {
  return typeof e === 'object' && e !== null && typeof (e as RpcErrorLike).code === 'number'
    && typeof (e as RpcErrorLike).message === 'string';
}

/** The first line of a message (a load error's message goes on with the traceback). */
export function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0]!.trim();
}

/**
 * The daemon's message as is (it names the thing and what to do); other errors by message. A
 * workflow that fails to load says so in one line: the failing line is marked in the file
 * (the daemon publishes a diagnostic) and the whole traceback is in the log.
 */
export function describeError(e: unknown): string {
  if (isRpcError(e) && e.code === WORKFLOW_LOAD) return `${firstLine(e.message)} (see Problems)`;
  if (isRpcError(e)) return e.message || errorCodeName(e.code) || `error ${e.code}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** `describeError` with the method and the error's name, for the log. */
export function logLine(method: string, e: unknown): string {
  if (isRpcError(e)) {
    const name = errorCodeName(e.code);
    const type = typeof e.data === 'object' && e.data !== null && 'type' in e.data ? ` ${String((e.data).type)}` : '';
    return `${method} failed: [${e.code}${name ? ` ${name}` : ''}${type}] ${e.message}`;
  }
  return `${method} failed: ${describeError(e)}`;
}

export function isUntrusted(e: unknown): boolean {
  return isRpcError(e) && e.code === WORKSPACE_UNTRUSTED;
}

/** `$/cancelRequest` answers -32800; a cancelled pick or dialog is not an error either. */
export function isCancellation(e: unknown): boolean {
  return (isRpcError(e) && e.code === -32800) || (e instanceof Error && e.name === 'Canceled');
}
