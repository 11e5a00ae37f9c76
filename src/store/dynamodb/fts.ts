/**
 * Trigram full-text items for substring search on names (experiments, runs, registered models). An entity's name
 * is indexed as the set of trigrams of its lower-cased text; a `LIKE`/`ILIKE` pattern's longest literal stretch
 * (between wildcards) gives the trigrams every match must contain. The intersection of their item sets is a
 * candidate list that is then verified against the real name with the exact LIKE semantics, so nothing that
 * matches is missed and nothing that does not is returned. Patterns without a 3-character literal stretch fall
 * back to listing.
 */

/**
 * The text lower-cased one code point at a time, with final sigma folded into sigma. `String.toLowerCase` is not
 * applied to the whole text because it is context-sensitive (a capital sigma at a word's end becomes `ς`, inside a
 * word `σ`), so a substring's lower-cased form could be missing from the lower-cased name (`ΑΒΣ` in `ΑΒΣΓ`). Mapped
 * code point by code point, every substring of a name maps to a substring of the mapped name, and with `ς`/`σ`
 * folded the whole-text lower-casing that ILIKE verification uses maps to the same code points too.
 */
function folded(text: string): string[] {
  const out: string[] = [];
  for (const ch of text) for (const c of ch.toLowerCase()) out.push(c === 'ς' ? 'σ' : c);
  return out;
}

/** Distinct trigrams of the folded (lower-cased) text, by code point. */
export function trigrams(text: string): string[] {
  const chars = folded(text);
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  return [...out];
}

/**
 * The trigrams any string matching the LIKE pattern must contain (lower-cased, so they serve LIKE and ILIKE), or
 * undefined when the pattern has no literal stretch of 3+ characters. `_` splits stretches like `%` does.
 */
export function patternTrigrams(pattern: string): string[] | undefined {
  const stretches = pattern.split(/[%_]/).filter((s) => [...s].length >= 3);
  if (stretches.length === 0) return undefined;
  const out = new Set<string>();
  for (const s of stretches) for (const t of trigrams(s)) out.add(t);
  return [...out];
}

/** The trigram items to add and remove when a name changes from `before` to `after`. */
export function trigramDiff(before: string | undefined, after: string): { add: string[]; remove: string[] } {
  const old = new Set(before === undefined ? [] : trigrams(before));
  const now = new Set(trigrams(after));
  return { add: [...now].filter((t) => !old.has(t)), remove: [...old].filter((t) => !now.has(t)) };
}
