// `wtb/doctor`'s report as text, the same facts and layout as `wtb doctor` prints
// (server/wtb/engine/doctor.py `render`): one fact a line, names padded to one column. Pure.

import type { DoctorResult, WatcherInfo } from './protocol';

/** Sizes as `wtb doctor` writes them: `512 B`, `1.5 KiB`, `2.0 MiB`, `3.1 GiB`. */
export function humanBytes(size: number): string {
  let value = size;
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (value < 1024 || unit === 'GiB') return unit === 'B' ? `${value.toFixed(0)} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${size} B`;
}

/** `inotify, barrier round trip 0.12 ms`, `walking (reason)`; barriers that timed out, when any. */
export function watcherSummary(w: WatcherInfo): string {
  const rtt = w.roundTripMs != null ? `, barrier round trip ${w.roundTripMs.toFixed(2)} ms` : '';
  const timeouts = w.barrierTimeouts > 0 ? `, ${w.barrierTimeouts} barrier timeout${w.barrierTimeouts === 1 ? '' : 's'}` : '';
  return `${w.mode}${rtt}${timeouts}${w.reason ? ` (${w.reason})` : ''}`;
}

export function renderDoctor(r: DoctorResult): string {
  const rows: [string, string][] = [
    ['python', r.python],
    ...Object.entries(r.libraries).map(([name, version]): [string, string] => [name, version || '(not installed)']),
    ['watcher', watcherSummary(r.watcher)],
    ['workspace', r.workspace],
    ['data dir', `${r.dataDir} (${humanBytes(r.dataDirBytes)})`],
    ['batches', r.rayImportable ? 'Ray importable' : 'Ray not installed'],
    ...r.problems.map((problem): [string, string] => ['problem', problem]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, value]) => `${name.padEnd(width)}${value}`).join('\n');
}
