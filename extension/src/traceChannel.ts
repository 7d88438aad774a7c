// The "WTB Trace" channel. vscode-languageclient 11 traces the LSP traffic only while its trace
// channel's log level is Trace (the setting then picks messages or verbose); this channel
// derives that level from `wtb.trace.server` instead, so the setting alone turns tracing on
// and off, and writes every line it gets to a plain output channel.

import * as vscode from 'vscode';

export class TraceChannel implements vscode.LogOutputChannel {
  readonly name = 'WTB Trace';
  private readonly channel = vscode.window.createOutputChannel('WTB Trace');
  private readonly emitter = new vscode.EventEmitter<vscode.LogLevel>();
  readonly onDidChangeLogLevel = this.emitter.event;
  private level: vscode.LogLevel;

  constructor(setting: 'off' | 'messages' | 'verbose') {
    this.level = TraceChannel.levelFor(setting);
  }

  private static levelFor(setting: string): vscode.LogLevel {
    return setting === 'off' ? vscode.LogLevel.Off : vscode.LogLevel.Trace;
  }

  get logLevel(): vscode.LogLevel {
    return this.level;
  }

  /** `wtb.trace.server` changed. */
  setTraceSetting(setting: 'off' | 'messages' | 'verbose'): void {
    const level = TraceChannel.levelFor(setting);
    if (level === this.level) return;
    this.level = level;
    this.emitter.fire(level);
  }

  private write(kind: string, message: string | Error, args: unknown[]): void {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    const extra = args.length ? ` ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}` : '';
    this.channel.appendLine(`${new Date().toISOString()} [${kind}] ${text}${extra}`);
  }

  trace(message: string, ...args: unknown[]): void { this.write('trace', message, args); }
  debug(message: string, ...args: unknown[]): void { this.write('debug', message, args); }
  info(message: string, ...args: unknown[]): void { this.write('info', message, args); }
  warn(message: string, ...args: unknown[]): void { this.write('warn', message, args); }
  error(error: string | Error, ...args: unknown[]): void { this.write('error', error, args); }
  append(value: string): void { this.channel.append(value); }
  appendLine(value: string): void { this.channel.appendLine(value); }
  replace(value: string): void { this.channel.replace(value); }
  clear(): void { this.channel.clear(); }
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    this.channel.show(typeof columnOrPreserveFocus === 'boolean' ? columnOrPreserveFocus : preserveFocus);
  }
  hide(): void { this.channel.hide(); }
  dispose(): void {
    this.emitter.dispose();
    this.channel.dispose();
  }
}
