import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackingStore } from '../../src/store/types.js';
import { experimentCases } from './cases/experiments.js';
import { loggedModelCases } from './cases/logged-models.js';
import { metricStreamCases } from './cases/metric-stream.js';
import { metricCases } from './cases/metrics.js';
import { raceCases } from './cases/races.js';
import { readAfterWriteCases } from './cases/read-after-write.js';
import { registryCases } from './cases/registry.js';
import { registrySearchCases } from './cases/registry-search.js';
import { runCases } from './cases/runs.js';
import { searchExperimentCases } from './cases/search-experiments.js';
import { searchRunCases } from './cases/search-runs.js';
import type { CaseGroup, StoreTest } from './cases/support.js';
import { webhookCases } from './cases/webhooks.js';

/**
 * The TrackingStore conformance suite: store semantics only (no HTTP), run by every backend.
 * Each backend has a ~10-line runner: `describeTrackingStore({ name: 'sqlite', open: () => ... })`.
 *
 * A backend that cannot pass a case lists it in `skip` by its full name, `"<group> > <test>"`, with a reason;
 * a skip entry that names no test fails the suite, so the list stays honest.
 */
export interface StoreSkip {
  readonly test: string;
  readonly reason: string;
  /**
   * A known bug rather than a missing capability: the test still runs, as `it.fails`, so the entry has to go
   * (and the suite says so) once the backend is fixed.
   */
  readonly fails?: boolean;
}

export interface TrackingStoreSuiteOptions {
  readonly name: string;
  /** A new, empty store (only the default experiment) for each test; the suite closes it afterwards. */
  readonly open: () => Promise<TrackingStore>;
  readonly skip?: readonly StoreSkip[];
  /** Whole groups a backend does not have yet (by group title), with the reason. */
  readonly skipGroups?: readonly { readonly group: string; readonly reason: string }[];
}

const GROUPS: readonly [string, CaseGroup][] = [
  ['experiments', experimentCases],
  ['runs', runCases],
  ['metrics', metricCases],
  ['metric stream', metricStreamCases],
  ['search runs', searchRunCases],
  ['search experiments', searchExperimentCases],
  ['logged models', loggedModelCases],
  ['read after write', readAfterWriteCases],
  ['registry', registryCases],
  ['registry search', registrySearchCases],
  ['webhooks', webhookCases],
  ['races', raceCases],
];

export function describeTrackingStore(opts: TrackingStoreSuiteOptions): void {
  const skips = new Map((opts.skip ?? []).map((s) => [s.test, s]));
  const registered = new Set<string>();

  describe(`TrackingStore conformance: ${opts.name}`, () => {
    let store: TrackingStore | undefined;
    beforeEach(async () => {
      store = await opts.open();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    const skippedGroups = new Map((opts.skipGroups ?? []).map((g) => [g.group, g.reason]));
    for (const g of skippedGroups.keys()) {
      if (!GROUPS.some(([t]) => t === g)) throw new Error(`skipGroups names no group: ${g}`);
    }
    for (const [title, cases] of GROUPS) {
      const groupSkip = skippedGroups.get(title);
      if (groupSkip !== undefined) {
        describe.skip(`${title} [skipped: ${groupSkip}]`, () => {
          cases((name: string) => it(name, () => {}));
        });
        continue;
      }
      describe(title, () => {
        cases((name: string, fn: StoreTest) => {
          const full = `${title} > ${name}`;
          if (registered.has(full)) throw new Error(`duplicate conformance test name: ${full}`);
          registered.add(full);
          const skip = skips.get(full);
          if (skip === undefined) it(name, () => fn(store!));
          else if (skip.fails === true) it.fails(`${name} [known bug: ${skip.reason}]`, () => fn(store!));
          else it.skip(`${name} [skipped: ${skip.reason}]`, () => {});
        });
      });
    }

    it('every skip entry names an existing test and gives a reason', () => {
      for (const s of opts.skip ?? []) {
        expect(registered.has(s.test), `unknown test in skip list: ${s.test}`).toBe(true);
        expect(s.reason.trim(), `skip without a reason: ${s.test}`).not.toBe('');
      }
    });
  });
}
