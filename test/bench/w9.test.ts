import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../bench/lib/backends.js';
import { makeRecord } from '../../bench/lib/record.js';
import { textTable } from '../../bench/report.js';
import { w9Queries } from '../../bench/w9.js';
import { seedW9Peer } from '../../bench/w9-peer-seed.js';
import { W9_VERSIONS, w9AliasVersion } from '../../bench/w9-seed.js';
import { TEST_ENV } from './fixtures.js';

/** MLflow 3.17.2's registry tables on SQLite, as its migrations create them (dumped from a fresh `mlflow server`). */
const MLFLOW_3_17_REGISTRY = `
CREATE TABLE "registered_models" (name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT,
  description VARCHAR(5000), workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT registered_model_pk PRIMARY KEY (workspace, name));
CREATE TABLE "model_versions" (name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, creation_time BIGINT,
  last_updated_time BIGINT, description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20),
  source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500), run_link VARCHAR(500),
  storage_location VARCHAR(500), workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT model_version_pk PRIMARY KEY (workspace, name, version),
  CONSTRAINT fk_model_versions_registered_models FOREIGN KEY(workspace, name)
    REFERENCES registered_models (workspace, name) ON UPDATE CASCADE);
CREATE TABLE "registered_model_tags" ("key" VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT registered_model_tag_pk PRIMARY KEY (workspace, "key", name));
CREATE TABLE "model_version_tags" ("key" VARCHAR(250) NOT NULL, value TEXT, name VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL, workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT model_version_tag_pk PRIMARY KEY (workspace, "key", name, version));
CREATE TABLE "registered_model_aliases" (alias VARCHAR(256) NOT NULL, version INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL, workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT registered_model_alias_pk PRIMARY KEY (workspace, name, alias));
`;

const env = TEST_ENV;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('W9 on MLflow’s schema', () => {
  it('writes the data set into MLflow’s registry tables as MLflow does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w9-peer-'));
    dirs.push(dir);
    const db = await freshDatabase('sqlite', dir);
    const setup = new DatabaseSync(db.file!);
    setup.exec(MLFLOW_3_17_REGISTRY);
    setup.close();

    const seed = await seedW9Peer(db, 50);
    expect(seed).toMatchObject({ models: 50, versions: 50 * W9_VERSIONS, teamX: 5 });

    const s = new DatabaseSync(db.file!, { readOnly: true });
    try {
      const n = (sql: string) => Number((s.prepare(sql).get() as { n: number }).n);
      expect(n('SELECT COUNT(*) AS n FROM registered_models')).toBe(50);
      expect(n('SELECT COUNT(*) AS n FROM model_versions')).toBe(500);
      expect(n('SELECT COUNT(*) AS n FROM registered_model_tags')).toBe(150);
      expect(n('SELECT COUNT(*) AS n FROM model_version_tags')).toBe(1500);
      expect(n("SELECT COUNT(*) AS n FROM model_versions WHERE workspace <> 'default'")).toBe(0);
      // the filter of query (a), as MLflow evaluates it
      const teamX = n(`SELECT COUNT(*) AS n FROM registered_model_tags WHERE "key" = 'team' AND value = 'x'`);
      expect(teamX).toBe(w9Queries(50)[0]!.expected);
      const v = s.prepare("SELECT * FROM model_versions WHERE name = 'm-17' AND version = 3").get();
      expect(v).toMatchObject({
        source: 's3://bench/m-17/3',
        storage_location: 's3://bench/m-17/3',
        current_stage: 'None',
        status: 'READY',
        run_id: '',
        description: '',
        user_id: null,
      });
      const m = s.prepare("SELECT * FROM registered_models WHERE name = 'm-17'").get() as Record<
        string,
        number
      >;
      const newest = s
        .prepare("SELECT MAX(creation_time) AS t FROM model_versions WHERE name = 'm-17'")
        .get() as { t: number };
      expect(m.last_updated_time).toBe(newest.t);
      const alias = s.prepare("SELECT version FROM registered_model_aliases WHERE name = 'm-17'").get();
      expect(alias).toEqual({ version: w9AliasVersion(17) });
    } finally {
      s.close();
      await db.drop();
    }
  });
});

describe('W9 rows in the report', () => {
  it('compares a peer with mltrack in both directions, and names a missing registry', () => {
    const row = (server: string, p50: number | null, extra: Record<string, string> = {}) =>
      makeRecord(env, 'S', {
        workload: 'W9d',
        backend: 'postgres',
        server,
        throughput: null,
        throughputUnit: 'req/s (c=1)',
        p50,
        extra,
      });
    const table = textTable([
      row('mltrack', 2),
      row('mlflow', 300),
      row('mlflow-go', 1),
      row('fasttrackml', null, { unsupported: 'no model registry (stubs)' }),
    ]);
    expect(table).toContain('mltrack 150.0× faster (p50)');
    expect(table).toContain('mltrack 2.0× slower (p50)');
    expect(table).toContain('no model registry (stubs)');
  });
});
