import { describe, expect, it } from 'vitest';
import { parseRunFilter, parseRunOrderBy } from '../../../src/domain/search/runs.js';
import { expectInvalid } from './helpers.js';

const one = (filter: string) => {
  const parsed = parseRunFilter(filter);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
};

describe('parseRunFilter', () => {
  it('accepts empty filters', () => {
    expect(parseRunFilter()).toEqual([]);
    expect(parseRunFilter('')).toEqual([]);
    expect(parseRunFilter('  ')).toEqual([]);
  });

  it.each([
    ['metric.acc', 'metric'],
    ['metrics.acc', 'metric'],
    ['`metrics`.acc', 'metric'],
    ['param.acc', 'param'],
    ['params.acc', 'param'],
    ['parameter.acc', 'param'],
    ['`parameters`.acc', 'param'],
    ['tag.acc', 'tag'],
    ['tags.acc', 'tag'],
  ] as const)('maps prefix %s to %s', (id, entity) => {
    const value = entity === 'metric' ? '1' : "'x'";
    expect(one(`${id} = ${value}`)).toMatchObject({ entity, key: 'acc' });
  });

  it.each(['attribute', 'attributes', 'attr', 'run', '`run`'])('maps prefix %s to attribute', (prefix) => {
    expect(one(`${prefix}.status = 'FINISHED'`)).toEqual({
      entity: 'attribute',
      key: 'status',
      op: '=',
      value: { kind: 'string', value: 'FINISHED' },
    });
  });

  it.each(['dataset', 'datasets'])('maps prefix %s to dataset', (prefix) => {
    expect(one(`${prefix}.name = 'train'`)).toMatchObject({ entity: 'dataset', key: 'name' });
  });

  it('quotes keys with backticks or double quotes', () => {
    expect(one('metrics.`f1 score` > 0.5')).toMatchObject({ entity: 'metric', key: 'f1 score' });
    expect(one('params."learning-rate" = \'0.1\'')).toMatchObject({ entity: 'param', key: 'learning-rate' });
    expect(one("tags.`mlflow.runName` = 'x'")).toMatchObject({ entity: 'tag', key: 'mlflow.runName' });
    expect(one("tags.mlflow.runName = 'x'")).toMatchObject({ entity: 'tag', key: 'mlflow.runName' });
    expect(one('tags."mlflow.runName" = \'x\'')).toMatchObject({ entity: 'tag', key: 'mlflow.runName' });
  });

  it('normalises attribute aliases', () => {
    expect(one('created > 1')).toMatchObject({ entity: 'attribute', key: 'start_time' });
    expect(one('attributes.Created > 1')).toMatchObject({ key: 'start_time' });
    expect(one("`run name` = 'a'")).toMatchObject({ key: 'run_name' });
    expect(one('"Run name" = \'a\'')).toMatchObject({ key: 'run_name' });
    expect(one("attributes.`Run Name` = 'a'")).toMatchObject({ key: 'run_name' });
  });

  it('accepts every searchable attribute', () => {
    for (const key of ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri']) {
      expect(one(`${key} LIKE '%a%'`)).toMatchObject({ entity: 'attribute', key, op: 'LIKE' });
    }
    for (const key of ['start_time', 'end_time']) {
      expect(one(`attributes.${key} >= 1700000000000`)).toEqual({
        entity: 'attribute',
        key,
        op: '>=',
        value: { kind: 'number', value: 1700000000000 },
      });
    }
  });

  it('accepts metrics with every numeric comparator', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
      expect(one(`metrics.loss ${op} -1.5e-3`)).toEqual({
        entity: 'metric',
        key: 'loss',
        op,
        value: { kind: 'number', value: -0.0015 },
      });
    }
  });

  it('accepts params and tags with string comparators and IS [NOT] NULL', () => {
    for (const prefix of ['params', 'tags']) {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE', 'like', 'ilike']) {
        expect(one(`${prefix}.k ${op} "v%"`)).toMatchObject({
          op: op.toUpperCase(),
          value: { kind: 'string', value: 'v%' },
        });
      }
      expect(one(`${prefix}.k IS NULL`)).toMatchObject({ op: 'IS NULL', value: { kind: 'none' } });
      expect(one(`${prefix}.k is not null`)).toMatchObject({ op: 'IS NOT NULL', value: { kind: 'none' } });
    }
  });

  it('accepts IN / NOT IN on run_id, dropping values that are not lower-case', () => {
    expect(one("run_id IN ('abc123', 'ABC123', 'Abc', '123')")).toEqual({
      entity: 'attribute',
      key: 'run_id',
      op: 'IN',
      value: { kind: 'list', values: ['abc123'] },
    });
    expect(one('attributes.run_id NOT IN (\'a1\', "b2")')).toMatchObject({
      op: 'NOT IN',
      value: { kind: 'list', values: ['a1', 'b2'] },
    });
  });

  it('accepts dataset keys with = != LIKE ILIKE IN NOT IN', () => {
    for (const key of ['name', 'digest', 'context']) {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
        expect(one(`dataset.${key} ${op} 'v'`)).toMatchObject({ entity: 'dataset', key, op });
      }
      expect(one(`datasets.${key} IN ('Train', 'b')`)).toMatchObject({
        op: 'IN',
        value: { kind: 'list', values: ['Train', 'b'] },
      });
      expect(one(`datasets.${key} NOT IN ('a')`)).toMatchObject({ op: 'NOT IN' });
    }
  });

  it('keeps several clauses in order', () => {
    expect(
      parseRunFilter("metrics.a > 1 AND params.b = 'x' AND status = 'RUNNING'").map((c) => c.key),
    ).toEqual(['a', 'b', 'status']);
  });

  it.each([
    [
      'm.acc >= 0.94',
      "Invalid entity type 'm'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    ],
    ['Metrics.acc >= 0.94', "Invalid entity type 'Metrics'"],
    ['attri.x != 1', "Invalid entity type 'attri'"],
    ['acc >= 0.94', "Invalid attribute key 'acc' specified. Valid keys are '"],
    ["model >= 'LR'", "Invalid attribute key 'model'"],
    ['attribute.experiment_id != 1', "Invalid attribute key 'experiment_id'"],
    ["attribute.lifecycle_stage = 'ACTIVE'", "Invalid attribute key 'lifecycle_stage'"],
    ["attribute._status != 'RUNNING'", "Invalid attribute key '_status'"],
    [
      "dataset.source = 'x'",
      "Invalid dataset key 'source' specified. Valid keys are '['context', 'digest', 'name']'",
    ],
  ])('rejects identifier in %s', (filter, message) => {
    expectInvalid(() => parseRunFilter(filter), message);
  });

  it.each([
    ["metrics.acc > 'a'", "Expected numeric value type for metric. Found 'a'"],
    ['metrics.acc > x', 'Expected numeric value type for metric. Found x'],
    ["metrics.acc IN ('1')", "Expected numeric value type for metric. Found ('1')"],
    ['params.a = 1', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1"],
    ['tags.a = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
    [
      'params.mode = LR',
      'Parameter value is either not quoted or unidentified quote types used for string value LR. Use either single or double quotes.',
    ],
    ['tags.mode = `LR`', 'Parameter value is either not quoted'],
    ["start_time > '1'", "Expected numeric value type for numeric attribute: start_time. Found '1'"],
    ['created > x', 'Expected numeric value type for numeric attribute: created. Found x'],
    ['status = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ['status = RUNNING', 'Parameter value is either not quoted'],
    [
      "status IN ('RUNNING')",
      "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
    ],
    ['dataset.name = 1', 'Expected a quoted string value for dataset attributes. Got value 1'],
  ])('rejects value in %s', (filter, message) => {
    expectInvalid(() => parseRunFilter(filter), message);
  });

  it.each([
    ['metrics.acc LIKE 1', "Invalid comparator 'LIKE' not one of '{'=', '!=', '<', '<=', '>', '>='}'"],
    ['metrics.acc IS NULL', "Invalid comparator 'IS NULL'"],
    ['metrics.acc <> 1', "Invalid comparator '<>'"],
    ['metrics.acc == 1', "Invalid comparator '=='"],
    ["params.a > 'x'", "Invalid comparator '>'"],
    ["params.a IN ('x')", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('x')"],
    ["tags.a < 'x'", "Invalid comparator '<'"],
    ['start_time LIKE 1', "Invalid comparator 'LIKE'"],
    ["status > 'x'", "Invalid comparator '>'"],
    ['status IS NULL', "Invalid comparator 'IS NULL'"],
    ["dataset.name > 'x'", "Invalid comparator '>'"],
    ['dataset.name IS NOT NULL', "Invalid comparator 'IS NOT NULL'"],
  ])('rejects operator in %s', (filter, message) => {
    expectInvalid(() => parseRunFilter(filter), message);
  });

  it('rejects grammar errors', () => {
    expectInvalid(
      () => parseRunFilter("metrics.a > 1 OR params.b = 'x'"),
      'Invalid clause(s) in filter string',
    );
    expectInvalid(
      () => parseRunFilter('metrics.a > 1; metrics.b > 1'),
      'Search filter contained multiple expression',
    );
  });
});

describe('parseRunOrderBy', () => {
  it('parses every accepted form', () => {
    expect(
      parseRunOrderBy([
        'metrics.acc',
        'metric.`m 1` DESC',
        'params.p asc',
        '`parameter`.q ASC',
        'tags.`mlflow.runName` desc',
        'attributes.start_time DESC',
        'run_id',
        'end_time',
        'attr.status',
        'run.user_id',
        'artifact_uri',
        'run_name',
      ]),
    ).toEqual([
      { entity: 'metric', key: 'acc', ascending: true },
      { entity: 'metric', key: 'm 1', ascending: false },
      { entity: 'param', key: 'p', ascending: true },
      { entity: 'param', key: 'q', ascending: true },
      { entity: 'tag', key: 'mlflow.runName', ascending: false },
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'attribute', key: 'run_id', ascending: true },
      { entity: 'attribute', key: 'end_time', ascending: true },
      { entity: 'attribute', key: 'status', ascending: true },
      { entity: 'attribute', key: 'user_id', ascending: true },
      { entity: 'attribute', key: 'artifact_uri', ascending: true },
      { entity: 'attribute', key: 'run_name', ascending: true },
    ]);
  });

  it('normalises aliases and adds no default', () => {
    expect(parseRunOrderBy([])).toEqual([]);
    expect(parseRunOrderBy(['created DESC', '`Run Name`'])).toEqual([
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'attribute', key: 'run_name', ascending: true },
    ]);
  });

  it('rejects duplicates, datasets, unknown keys and bad syntax', () => {
    expectInvalid(
      () => parseRunOrderBy(['metrics.a', 'metrics.a DESC']),
      "`order_by` contains duplicate fields: ['metrics.a', 'metrics.a DESC']",
    );
    expectInvalid(() => parseRunOrderBy(['start_time', 'created DESC']), 'duplicate fields');
    expect(parseRunOrderBy(['metrics.a', 'params.a', 'tags.a'])).toHaveLength(3);
    expectInvalid(() => parseRunOrderBy(['dataset.name']), "Invalid identifier type 'dataset'");
    expectInvalid(() => parseRunOrderBy(['dataset.foo']), "Invalid dataset key 'foo'");
    expectInvalid(() => parseRunOrderBy(['experiment_id']), "Invalid attribute key 'experiment_id'");
    expectInvalid(() => parseRunOrderBy(['lifecycle_stage']), "Invalid attribute key 'lifecycle_stage'");
    expectInvalid(() => parseRunOrderBy(['x.acc']), "Invalid entity type 'x'");
    expectInvalid(
      () => parseRunOrderBy(['metrics.a up']),
      "Invalid ordering key in order_by clause 'metrics.a up'.",
    );
    expectInvalid(
      () => parseRunOrderBy(['metrics.a DESC x']),
      "Invalid order_by clause 'metrics.a DESC x'. Could not be parsed.",
    );
    expectInvalid(() => parseRunOrderBy(['']), 'Could not be parsed');
  });
});
