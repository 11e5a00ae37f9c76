import { describe, expect, it } from 'vitest';
import {
  normalizeLoggedModelAttribute,
  parseLoggedModelFilter,
} from '../../../src/domain/search/logged-models.js';
import { expectInvalid } from './helpers.js';

const one = (filter: string) => {
  const parsed = parseLoggedModelFilter(filter);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
};

describe('parseLoggedModelFilter', () => {
  it('accepts empty filters', () => {
    expect(parseLoggedModelFilter()).toEqual([]);
    expect(parseLoggedModelFilter('')).toEqual([]);
  });

  it('accepts string columns, bare or with attributes., with = != LIKE ILIKE IN NOT IN', () => {
    for (const key of ['name', 'model_id', 'model_type', 'status', 'source_run_id', 'experiment_id']) {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
        expect(one(`${key} ${op} 'v'`)).toEqual({
          entity: 'attribute',
          key,
          op,
          value: { kind: 'string', value: 'v' },
        });
        expect(one(`attributes.${key} ${op} "v"`)).toMatchObject({ entity: 'attribute', key, op });
      }
      expect(one(`${key} IN ('a', 'B')`)).toMatchObject({
        op: 'IN',
        value: { kind: 'list', values: ['a', 'B'] },
      });
      expect(one(`${key} NOT IN ('a')`)).toMatchObject({
        op: 'NOT IN',
        value: { kind: 'list', values: ['a'] },
      });
    }
  });

  it('accepts the timestamps and their aliases as numbers', () => {
    const cases: [string, string][] = [
      ['creation_timestamp_ms', 'creation_timestamp_ms'],
      ['creation_time', 'creation_timestamp_ms'],
      ['creation_timestamp', 'creation_timestamp_ms'],
      ['attributes.creation_time', 'creation_timestamp_ms'],
      ['last_updated_timestamp_ms', 'last_updated_timestamp_ms'],
      ['last_updated_timestamp', 'last_updated_timestamp_ms'],
    ];
    for (const [written, key] of cases) {
      for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
        expect(one(`${written} ${op} 123`)).toEqual({
          entity: 'attribute',
          key,
          op,
          value: { kind: 'number', value: 123 },
        });
      }
    }
    expect(normalizeLoggedModelAttribute('creation_time')).toBe('creation_timestamp_ms');
    expect(normalizeLoggedModelAttribute('name')).toBe('name');
  });

  it('accepts metrics, params and tags', () => {
    expect(one('metrics.`val loss` <= 0.5')).toEqual({
      entity: 'metric',
      key: 'val loss',
      op: '<=',
      value: { kind: 'number', value: 0.5 },
    });
    expect(one("params.lr = '0.01'")).toEqual({
      entity: 'param',
      key: 'lr',
      op: '=',
      value: { kind: 'string', value: '0.01' },
    });
    expect(one('params.lr = 0.01')).toMatchObject({ value: { kind: 'string', value: '0.01' } });
    expect(one('experiment_id = 1')).toMatchObject({ value: { kind: 'string', value: '1' } });
    expect(one("tags.`mlflow.source` IN ('a', 'b')")).toMatchObject({
      entity: 'tag',
      key: 'mlflow.source',
      op: 'IN',
    });
    expect(one("params.x ILIKE '%a%'")).toMatchObject({ entity: 'param', op: 'ILIKE' });
    expect(
      parseLoggedModelFilter("metrics.loss > 0.1 AND params.lr = '0.01' AND name LIKE 'm%'"),
    ).toHaveLength(3);
  });

  it.each([
    [
      'metric.acc > 1',
      "Invalid entity type: 'metric'. Expected one of ['attributes', 'metrics', 'params', 'tags'].",
    ],
    ["attribute.name = 'a'", "Invalid entity type: 'attribute'"],
    ["tag.a = 'a'", "Invalid entity type: 'tag'"],
    ["artifact_uri = 'a'", "Invalid attribute key 'artifact_uri' specified"],
    ["attributes.bogus = 'a'", "Invalid attribute key 'bogus'"],
    [
      "metrics.acc LIKE 'a'",
      "Invalid comparison operator for metrics.acc: 'LIKE'. Expected one of ('=', '!=', '<', '<=', '>', '>=').",
    ],
    ["creation_time IN ('1')", "Invalid comparison operator for attributes.creation_time: 'IN'"],
    ["name > 'a'", "Invalid comparison operator for attributes.name: '>'"],
    ['tags.a IS NULL', "Invalid comparison operator for tags.a: 'IS NULL'"],
    ["metrics.acc > 'a'", "Expected numeric value type for metrics.acc. Found 'a'"],
    ["creation_time > '1'", 'Expected numeric value type for attributes.creation_time'],
    ['name = abc', 'Parameter value is either not quoted'],
    ['name IN ()', 'empty list'],
    ["name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string'],
  ])('rejects %s', (filter, message) => {
    expectInvalid(() => parseLoggedModelFilter(filter), message);
  });
});
