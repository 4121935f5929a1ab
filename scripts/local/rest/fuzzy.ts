// The fuzzy matching behind PostgREST's "Perhaps you meant ..." hints: a fuzzy set of names scored
// by cosine similarity of character 3-grams (then 2-grams), the best 50 rescored by normalised
// Levenshtein distance, as the Haskell `fuzzyset` package PostgREST uses does.

function normalizeForGrams(text: string): string {
  return [...text.toLowerCase()].filter((c) => /[\p{L}\p{N}\s,]/u.test(c)).join("");
}

function gramCounts(text: string, size: number): Map<string, number> {
  let padded = `-${normalizeForGrams(text)}-`;
  while ([...padded].length < size) padded += "-";
  const chars = [...padded];
  const counts = new Map<string, number>();
  for (let i = 0; i + size <= chars.length; i++) {
    const gram = chars.slice(i, i + size).join("");
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

const magnitude = (counts: Map<string, number>) =>
  Math.sqrt([...counts.values()].reduce((sum, n) => sum + n * n, 0));

function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[y.length];
}

function similarity(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

/** The best match among `names` scoring at least `minScore`, or null. */
export function closestName(names: string[], value: string, minScore: number): string | null {
  const key = value.toLowerCase();
  const byKey = new Map(names.map((name) => [name.toLowerCase(), name]));
  if (byKey.has(key)) return byKey.get(key)!;
  for (const size of [3, 2]) {
    const query = gramCounts(key, size);
    const queryMagnitude = magnitude(query);
    const scored: [number, string][] = [];
    for (const itemKey of byKey.keys()) {
      const item = gramCounts(itemKey, size);
      let dot = 0;
      for (const [gram, count] of query) dot += count * (item.get(gram) ?? 0);
      if (dot > 0) scored.push([dot / (queryMagnitude * magnitude(item)), itemKey]);
    }
    if (scored.length === 0) continue;
    scored.sort((a, b) => b[0] - a[0]);
    const rescored = scored.slice(0, 50).map(([, itemKey]): [number, string] => [
      similarity(key, itemKey),
      itemKey,
    ]);
    rescored.sort((a, b) => b[0] - a[0]);
    const best = rescored.filter(([score]) => score >= minScore);
    if (best.length > 0) return byKey.get(best[0][1])!;
  }
  return null;
}
