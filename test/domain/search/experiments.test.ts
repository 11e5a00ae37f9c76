import { describe, expect, it } from 'vitest';
import { parseExperimentFilter, parseExperimentOrderBy } from '../../../src/domain/search/experiments.js';
import { expectInvalid } from './helpers.js';

const one = (filter: string) => {
  const parsed = parseExperimentFilter(filter);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
};

describe('parseExperimentFilter', () => {
  it('accepts empty filters', () => {
    expect(parseExperimentFilter()).toEqual([]);
    expect(parseExperimentFilter(' ')).toEqual([]);
  });

  it('accepts name with string comparators, bare or with attribute.', () => {
    for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
      expect(one(`name ${op} 'exp%'`)).toEqual({
        entity: 'attribute',
        key: 'name',
        op,
        value: { kind: 'string', value: 'exp%' },
      });
      expect(one(`attribute.name ${op} "exp"`)).toMatchObject({ entity: 'attribute', key: 'name', op });
    }
  });

  it('accepts numeric attributes with numeric comparators', () => {
    for (const key of ['creation_time', 'last_update_time']) {
      for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
        expect(one(`${key} ${op} 1700000000000`)).toEqual({
          entity: 'attribute',
          key,
          op,
          value: { kind: 'number', value: 1700000000000 },
        });
      }
    }
  });

  it('accepts tags with string comparators and IS [NOT] NULL', () => {
    for (const prefix of ['tag', 'tags']) {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
        expect(one(`${prefix}.\`my key\` ${op} 'v'`)).toEqual({
          entity: 'tag',
          key: 'my key',
          op,
          value: { kind: 'string', value: 'v' },
        });
      }
      expect(one(`${prefix}.k IS NULL`)).toMatchObject({ op: 'IS NULL', value: { kind: 'none' } });
      expect(one(`${prefix}.k IS NOT NULL`)).toMatchObject({ op: 'IS NOT NULL' });
    }
  });

  it('combines clauses', () => {
    expect(parseExperimentFilter("name LIKE 'a%' AND tags.team = 'x' AND creation_time > 0")).toHaveLength(3);
  });

  it.each([
    [
      "attributes.name = 'a'",
      "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
    ["params.a = 'a'", "Invalid entity type 'params'"],
    ['metrics.a = 1', "Invalid entity type 'metrics'"],
    ["experiment_id = '1'", "Invalid attribute key 'experiment_id' specified"],
    ["lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"],
    ['name = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ['name = abc', 'Parameter value is either not quoted'],
    ["name IN ('a')", 'Invalid comparator for string attribute: IN'],
    ["name > 'a'", 'Invalid comparator for string attribute: >'],
    ['name IS NULL', 'Invalid comparator for string attribute: IS NULL'],
    ["creation_time > 'a'", "Expected numeric value type for numeric attribute: creation_time. Found 'a'"],
    ['creation_time LIKE 1', 'Invalid comparator for numeric attribute: LIKE'],
    ['tags.a = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
    ["tags.a > 'x'", 'Invalid comparator for tag: >'],
    ["name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string'],
  ])('rejects %s', (filter, message) => {
    expectInvalid(() => parseExperimentFilter(filter), message);
  });
});

describe('parseExperimentOrderBy', () => {
  it('parses the orderable keys', () => {
    expect(
      parseExperimentOrderBy([
        'name',
        'experiment_id DESC',
        'attribute.creation_time asc',
        'last_update_time desc',
      ]),
    ).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'experiment_id', ascending: false },
      { entity: 'attribute', key: 'creation_time', ascending: true },
      { entity: 'attribute', key: 'last_update_time', ascending: false },
    ]);
    expect(parseExperimentOrderBy([])).toEqual([]);
  });

  it('rejects other keys and entities', () => {
    expectInvalid(() => parseExperimentOrderBy(['tags.a']), 'Invalid order_by entity: tag');
    expectInvalid(
      () => parseExperimentOrderBy(['artifact_location']),
      "Invalid attribute key 'artifact_location'",
    );
    expectInvalid(() => parseExperimentOrderBy(['metrics.a']), "Invalid entity type 'metrics'");
    expectInvalid(() => parseExperimentOrderBy(['name sideways']), 'Invalid ordering key');
    expectInvalid(() => parseExperimentOrderBy(['name ASC DESC']), 'Could not be parsed');
  });
});
