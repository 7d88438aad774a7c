// Creates the LanguageClient that starts the daemon (`python -m wtb.lsp`, stdio).
//
// The daemon declares `wtb.run`, `wtb.fork`, `wtb.batch` and `wtb.history` as
// workspace/executeCommand commands (its CodeLenses use them). vscode-languageclient would
// register a client command for each, clashing with the same commands that this extension
// contributes and registers itself (they work with the server stopped, ask for input and show
// progress). So the client drops the commands that the extension owns from what it registers;
// any other command the daemon declares is still registered and forwarded as usual.

import type * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import type { DynamicFeature, ExecuteCommandRegistrationOptions, LanguageClientOptions, RegistrationData, ServerOptions, StaticFeature } from 'vscode-languageclient/node';
import { SERVER } from './settings';
import type { InitializationOptions } from './protocol';

/** Commands the extension registers itself (it owns them even when the server declares them). */
export const OWNED_COMMANDS = new Set<string>();

export class WtbLanguageClient extends LanguageClient {
  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const dynamic = feature as Partial<DynamicFeature<ExecuteCommandRegistrationOptions>>;
    if (dynamic.registrationType?.method === ExecuteCommandRequest.method && typeof dynamic.register === 'function') {
      const register = dynamic.register.bind(feature);
      dynamic.register = (data: RegistrationData<ExecuteCommandRegistrationOptions>) => {
        const commands = (data.registerOptions.commands ?? []).filter((c) => !OWNED_COMMANDS.has(c));
        register({ ...data, registerOptions: { ...data.registerOptions, commands } });
      };
    }
    super.registerFeature(feature);
  }
}

export interface ClientSpec {
  python: string;
  cwd: string;
  initializationOptions: InitializationOptions;
  outputChannel: vscode.LogOutputChannel;
  traceOutputChannel: vscode.LogOutputChannel;
  workspaceFolder: vscode.WorkspaceFolder;
}

export function createClient(spec: ClientSpec): WtbLanguageClient {
  // No `transport`: with TransportKind.stdio the client would append `--stdio` to the
  // arguments; left out, it still talks over the process's stdin/stdout.
  const run = {
    command: spec.python,
    args: ['-m', SERVER.module],
    options: { cwd: spec.cwd, env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' } },
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'python' }],
    workspaceFolder: spec.workspaceFolder,
    outputChannel: spec.outputChannel,
    traceOutputChannel: spec.traceOutputChannel,
    initializationOptions: spec.initializationOptions,
    // Our own messages say what failed; don't pop the output channel on every server log line.
    revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
    connectionOptions: { maxRestartCount: 3 },
  };
  return new WtbLanguageClient('wtb', 'WTB', serverOptions, clientOptions);
}
