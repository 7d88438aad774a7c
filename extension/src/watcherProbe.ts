// The daemon's file watcher as the status item shows it: asked with `wtb/doctor` when the
// server is running (after a start or restart) and whenever an execution ends, never on a
// timer. One request at a time (a batch ends many runs at once: they make one more request,
// not one each); an answer from a server that has since stopped is dropped. A daemon that does
// not answer `wtb/doctor` (older) or fails it is only logged: the item then shows no watcher.
// No `vscode` import: unit-tested in Node with a fake `ask`.

import { isRpcError, logLine } from './errors';
import { NOT_AVAILABLE, type DoctorResult, type WatcherInfo } from './protocol';

const METHOD_NOT_FOUND = -32601;

export interface WatcherProbeHooks {
  /** Send `wtb/doctor`. */
  ask: () => Promise<DoctorResult>;
  /** The watcher changed (undefined: unknown again, the server stopped). */
  changed: (watcher: WatcherInfo | undefined) => void;
  log: (level: 'info' | 'warn', message: string) => void;
}

export class WatcherProbe {
  private current: WatcherInfo | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private generation = 0;
  private unsupported = false;

  constructor(private readonly hooks: WatcherProbeHooks) {}

  get watcher(): WatcherInfo | undefined {
    return this.current;
  }

  /** Ask now; while a request is in flight, ask once more when it is answered. */
  refresh(): Promise<void> {
    if (this.unsupported) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    const generation = this.generation;
    const loop = async (): Promise<void> => {
      do {
        this.again = false;
        await this.askOnce(generation);
      } while (this.again && generation === this.generation && !this.unsupported);
    };
    const flight = loop().finally(() => {
      if (this.inFlight === flight) this.inFlight = undefined;
    });
    this.inFlight = flight;
    return flight;
  }

  /** A watcher from a `wtb/doctor` answer got elsewhere (the "WTB: Doctor" command). */
  report(watcher: WatcherInfo): void {
    if (same(this.current, watcher)) return;
    const before = this.current;
    this.current = watcher;
    if (before?.mode !== watcher.mode) {
      if (watcher.mode === 'walking') {
        this.hooks.log('warn', `The file watcher is off${watcher.reason ? ` (${watcher.reason})` : ''}: every snapshot walks the workspace. Run "WTB: Doctor" for details.`);
      } else {
        this.hooks.log('info', `File watcher: ${watcher.mode}${watcher.reason ? ` (${watcher.reason})` : ''}`);
      }
    }
    this.hooks.changed(watcher);
  }

  /** The server stopped or is restarting: forget the watcher and any answer still on its way. */
  reset(): void {
    this.generation += 1;
    this.inFlight = undefined;
    this.again = false;
    this.unsupported = false;
    if (this.current === undefined) return;
    this.current = undefined;
    this.hooks.changed(undefined);
  }

  private async askOnce(generation: number): Promise<void> {
    try {
      const result = await this.hooks.ask();
      if (generation === this.generation) this.report(result.watcher);
    } catch (e) {
      if (generation !== this.generation) return;
      if (isRpcError(e) && (e.code === METHOD_NOT_FOUND || e.code === NOT_AVAILABLE)) {
        this.unsupported = true;
        this.hooks.log('info', `${logLine('wtb/doctor', e)}; the status item does not show the file watcher.`);
      } else {
        this.hooks.log('warn', logLine('wtb/doctor', e));
      }
    }
  }
}

function same(a: WatcherInfo | undefined, b: WatcherInfo): boolean {
  return a?.mode === b.mode && a.reason === b.reason && a.roundTripMs === b.roundTripMs && a.barrierTimeouts === b.barrierTimeouts;
}
