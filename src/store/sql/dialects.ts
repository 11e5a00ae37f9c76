/**
 * A plain lower-case identifier is double-quoted (so columns named like reserved words — `key` and `schema` are
 * reserved in MySQL — work everywhere: MySQL sessions run with ANSI_QUOTES); anything else is used as given.
 */
export function quoteIdent(id: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(id) ? `"${id}"` : id;
}

/**
 * A unique/primary-key violation on any of the three: node:sqlite (SQLITE_CONSTRAINT_UNIQUE 2067,
 * SQLITE_CONSTRAINT_PRIMARYKEY 1555), PostgreSQL (SQLSTATE 23505) or MySQL (ER_DUP_ENTRY 1062).
 */
export function isUniqueViolation(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; typeof x === 'object' && x !== null && depth < 5; depth++) {
    const r = x as Record<string, unknown>;
    if (r['code'] === '23505' || r['code'] === 'ER_DUP_ENTRY' || r['errno'] === 1062) return true;
    if (r['errcode'] === 2067 || r['errcode'] === 1555) return true;
    x = r['cause'];
  }
  return false;
}

/**
 * Awaits a write whose uniqueness was checked just before; if another server won the race in between, the unique
 * key rejects it and the caller's error (e.g. RESOURCE_ALREADY_EXISTS) is thrown instead of a database error.
 */
export async function unlessDuplicate<T>(write: Promise<T>, duplicate: () => Error): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (isUniqueViolation(e)) throw duplicate();
    throw e;
  }
}
