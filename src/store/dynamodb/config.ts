import { createHash } from 'node:crypto';
import type { Ddb } from './ddb.js';
import * as K from './keys.js';

/**
 * Configuration kept in the table (`CONFIG` items), reconciled with environment variables when a server starts
 * and re-read every `REFRESH_MS`, so `mltrack dynamodb ttl set` / `tag add` reach running servers within a minute.
 *
 * | variable | item | meaning |
 * | --- | --- | --- |
 * | `MLFLOW_DYNAMODB_SOFT_DELETED_RETENTION_DAYS` | `TTL_POLICY` | soft-deleted runs/experiments (and children) expire after N days; default 90 |
 * | `MLFLOW_DYNAMODB_METRIC_HISTORY_RETENTION_DAYS` | `TTL_POLICY` | metric history points expire N days after logging; default 0 |
 * | `MLFLOW_DYNAMODB_TRACE_RETENTION_DAYS` | `TTL_POLICY` | traces expire after N days; default 0 |
 * | `MLFLOW_DYNAMODB_DENORMALIZE_TAGS` | `DENORMALIZE_TAGS` | comma-separated globs of run tags copied into the run META item; added to the stored list |
 *
 * `0` means never. A variable that is set overrides its field and is persisted (as the reference plugin does);
 * the others keep their stored values.
 */
export interface TtlPolicy {
  soft_deleted_retention_days: number;
  metric_history_retention_days: number;
  trace_retention_days: number;
}

/** Deleted things go after 90 days; logged values are kept until the user says otherwise. */
export const DEFAULT_TTL: TtlPolicy = {
  soft_deleted_retention_days: 90,
  metric_history_retention_days: 0,
  trace_retention_days: 0,
};
export const ALWAYS_DENORMALIZED = 'mlflow.*';
const REFRESH_MS = 60_000;

const ENV: Record<keyof TtlPolicy, string> = {
  soft_deleted_retention_days: 'MLFLOW_DYNAMODB_SOFT_DELETED_RETENTION_DAYS',
  metric_history_retention_days: 'MLFLOW_DYNAMODB_METRIC_HISTORY_RETENTION_DAYS',
  trace_retention_days: 'MLFLOW_DYNAMODB_TRACE_RETENTION_DAYS',
};

export function parseDays(name: string, raw: string): number {
  if (!/^\d{1,6}$/.test(raw.trim()))
    throw new Error(`${name} must be a whole number of days (0 = never), got '${raw}'`);
  return Number(raw.trim());
}

/** fnmatch-style glob (`*`, `?`, `[...]`) → RegExp, for denormalization patterns. */
export function globRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) src += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        src += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else src += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

export class DynamoConfig {
  private ttl: TtlPolicy = { ...DEFAULT_TTL };
  private patterns: string[] = [ALWAYS_DENORMALIZED];
  private matchers: RegExp[] = [globRegExp(ALWAYS_DENORMALIZED)];
  private hash = '';
  private loadedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly ddb: Ddb) {
    this.apply(this.ttl, this.patterns);
  }

  /** Start-up: merge the environment into the stored items (when allowed to write), then load them. */
  async reconcile(env: NodeJS.ProcessEnv, write: boolean): Promise<void> {
    const stored = await this.readTtl();
    const ttl: TtlPolicy = { ...DEFAULT_TTL, ...(stored ?? {}) };
    let changed = stored === undefined;
    for (const [field, name] of Object.entries(ENV) as [keyof TtlPolicy, string][]) {
      const raw = env[name];
      if (raw === undefined || raw === '') continue;
      const days = parseDays(name, raw);
      if (ttl[field] !== days) changed = true;
      ttl[field] = days;
    }
    if (write && changed) await this.writeTtl(ttl);
    const fromEnv = (env.MLFLOW_DYNAMODB_DENORMALIZE_TAGS ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const current = await this.readPatterns();
    const merged = [...new Set([ALWAYS_DENORMALIZED, ...(current ?? []), ...fromEnv])];
    if (write && (current === undefined || merged.length !== current.length))
      await this.writePatterns(merged);
    this.apply(ttl, merged);
  }

  private apply(ttl: TtlPolicy, patterns: string[]): void {
    this.ttl = ttl;
    this.patterns = patterns;
    this.matchers = patterns.map(globRegExp);
    this.hash = createHash('sha256')
      .update([...patterns].sort().join('\n'))
      .digest('hex')
      .slice(0, 12);
    this.loadedAt = Date.now();
  }

  /** Re-reads the items when they are older than a minute (in the background; callers use the values they have). */
  private maybeRefresh(): void {
    if (Date.now() - this.loadedAt < REFRESH_MS || this.refreshing !== undefined) return;
    this.refreshing = (async () => {
      try {
        const ttl = await this.readTtl();
        const patterns = await this.readPatterns();
        this.apply({ ...DEFAULT_TTL, ...(ttl ?? {}) }, [
          ...new Set([ALWAYS_DENORMALIZED, ...(patterns ?? [])]),
        ]);
      } catch {
        this.loadedAt = Date.now(); // keep the old values; try again later
      } finally {
        this.refreshing = undefined;
      }
    })();
  }

  policy(): TtlPolicy {
    this.maybeRefresh();
    return this.ttl;
  }

  /** The `ttl` attribute (epoch seconds) for something starting now with a retention of `days`, or undefined. */
  expiry(days: number, nowMs = Date.now()): number | undefined {
    return days > 0 ? Math.floor(nowMs / 1000) + days * 86_400 : undefined;
  }

  historyTtl(): number | undefined {
    return this.expiry(this.policy().metric_history_retention_days);
  }

  softDeleteTtl(): number | undefined {
    return this.expiry(this.policy().soft_deleted_retention_days);
  }

  denormalized(tagKey: string): boolean {
    this.maybeRefresh();
    return this.matchers.some((m) => m.test(tagKey));
  }

  denormalizePatterns(): readonly string[] {
    return this.patterns;
  }

  async readTtl(): Promise<TtlPolicy | undefined> {
    const it = await this.ddb.get<Partial<TtlPolicy>>(K.config.ttlPolicy);
    if (it === undefined) return undefined;
    return {
      soft_deleted_retention_days: Number(
        it.soft_deleted_retention_days ?? DEFAULT_TTL.soft_deleted_retention_days,
      ),
      metric_history_retention_days: Number(
        it.metric_history_retention_days ?? DEFAULT_TTL.metric_history_retention_days,
      ),
      trace_retention_days: Number(it.trace_retention_days ?? DEFAULT_TTL.trace_retention_days),
    };
  }

  async writeTtl(ttl: TtlPolicy): Promise<void> {
    await this.ddb.put({ ...K.config.ttlPolicy, ...ttl });
    this.ttl = ttl;
  }

  async readPatterns(): Promise<string[] | undefined> {
    const it = await this.ddb.get<{ patterns?: string[] }>(K.config.denormalizeTags);
    return it?.patterns;
  }

  async writePatterns(patterns: string[]): Promise<void> {
    const all = [...new Set([ALWAYS_DENORMALIZED, ...patterns])];
    await this.ddb.put({ ...K.config.denormalizeTags, patterns: all });
    this.apply(this.ttl, all);
  }

  /**
   * Fingerprint of the pattern set. A run META records the fingerprint its `dtags` map was built with (`dph`);
   * searches trust the map only when that equals the current one (else they read the tag items).
   */
  patternsHash(): string {
    this.maybeRefresh();
    return this.hash;
  }
}
