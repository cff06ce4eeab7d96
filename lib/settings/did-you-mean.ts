/** "Did you mean …?" for misspelt names: settings, hyperparameters, instance types. */

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Close enough to be a typo: same letters ignoring case, or a short edit (fewer for short names). */
export function isNearMiss(name: string, key: string): boolean {
  return name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= Math.min(2, Math.floor(name.length / 4));
}

/** The known name closest to `typed`, if it is a near miss, or one that starts with it (a cut-off name). */
export function nearestName(typed: string, known: readonly string[]): string | undefined {
  const near = known
    .filter((name) => isNearMiss(name, typed))
    .sort((a, b) => editDistance(a, typed) - editDistance(b, typed));
  if (near.length > 0) return near[0];
  const completions = known.filter((name) => name.startsWith(typed));
  return completions.length === 1 ? completions[0] : undefined;
}
