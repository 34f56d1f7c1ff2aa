/** A line diff of two bot versions: each saved document printed as JSON with sorted keys, then compared line by
 * line (longest common subsequence), so a moved key never shows as a change and a changed field is one line. */

export type DiffLine = { kind: "same" | "added" | "removed"; text: string };

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) ?? "";
}

export function diffLines(before: string[], after: string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore -= 1;
    endAfter -= 1;
  }
  const a = before.slice(start, endBefore);
  const b = after.slice(start, endAfter);
  // lengths[i][j]: the longest common subsequence of a[i:] and b[j:].
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i][j] =
        a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const middle: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      middle.push({ kind: "same", text: a[i] });
      i += 1;
      j += 1;
    } else if (i < a.length && (j === b.length || lengths[i + 1][j] >= lengths[i][j + 1])) {
      // Removals first, so a changed line reads as the old one followed by the new one.
      middle.push({ kind: "removed", text: a[i] });
      i += 1;
    } else {
      middle.push({ kind: "added", text: b[j] });
      j += 1;
    }
  }
  const same = (text: string): DiffLine => ({ kind: "same", text });
  return [...before.slice(0, start).map(same), ...middle, ...before.slice(endBefore).map(same)];
}

export interface VersionDocument {
  name: string;
  description: string;
  start_url: string | null;
  workflow_json: unknown;
}

/** What changed from `older` to `current`, in the fields a version keeps. */
export function diffVersions(older: VersionDocument, current: VersionDocument): DiffLine[] {
  const print = (doc: VersionDocument) =>
    stableJson({
      name: doc.name,
      description: doc.description,
      start_url: doc.start_url,
      workflow: doc.workflow_json,
    }).split("\n");
  return diffLines(print(older), print(current));
}

export type DiffChunk = DiffLine | { kind: "skipped"; count: number };

/** Long runs of unchanged lines folded, keeping `context` lines around each change. */
export function foldUnchanged(lines: DiffLine[], context = 3): DiffChunk[] {
  const keep = lines.map((line) => line.kind !== "same");
  const near = keep.map((_, index) =>
    lines.slice(Math.max(0, index - context), index + context + 1).some((line) => line.kind !== "same"),
  );
  const chunks: DiffChunk[] = [];
  lines.forEach((line, index) => {
    if (near[index]) return chunks.push(line);
    const last = chunks[chunks.length - 1];
    if (last?.kind === "skipped") last.count += 1;
    else chunks.push({ kind: "skipped", count: 1 });
  });
  return chunks;
}
