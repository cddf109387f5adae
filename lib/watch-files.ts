import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` once `delayMs` after the last change to any of `files`, and returns what stops
 * watching. It watches their directories, not the files: editors save by writing a new file and
 * renaming it over the old one, which ends a watch on the file itself.
 */
export function watchFiles(files: readonly string[], onChange: () => void, delayMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const byDirectory = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDirectory.get(path.dirname(file)) ?? new Set<string>();
    byDirectory.set(path.dirname(file), names.add(path.basename(file)));
  }
  const watchers = [...byDirectory].map(([directory, names]) =>
    fs.watch(directory, (_event, name) => {
      if (name === null || !names.has(name)) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, delayMs);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
