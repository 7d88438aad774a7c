// Which workspace folder the daemon serves in a multi-root window (pure, tested). One daemon
// serves one folder; WTB picks the folder the person chose last (kept per workspace), else the
// only folder with workflows (`langgraph.json`, `[tool.wtb]` in `pyproject.toml`), else asks.
// "WTB: Choose Workspace Folder" switches (the daemon restarts on the other folder).

export interface FolderFacts {
  uri: string;
  name: string;
  hasWorkflows: boolean;
}

export type FolderChoice = { folder: FolderFacts } | { ask: FolderFacts[] } | { none: true };

export function chooseFolder(folders: readonly FolderFacts[], remembered?: string): FolderChoice {
  if (folders.length === 0) return { none: true };
  if (folders.length === 1) return { folder: folders[0]! };
  const kept = folders.find((f) => f.uri === remembered);
  if (kept) return { folder: kept };
  const withWorkflows = folders.filter((f) => f.hasWorkflows);
  if (withWorkflows.length === 1) return { folder: withWorkflows[0]! };
  return { ask: withWorkflows.length ? withWorkflows : [...folders] };
}

/** Whether a `pyproject.toml` text declares WTB workflows (`[tool.wtb]`, `[tool.wtb.workflows]`). */
export function declaresWorkflows(pyproject: string): boolean {
  return /^\s*\[tool\.wtb(\.[\w-]+)?\]/m.test(pyproject);
}
