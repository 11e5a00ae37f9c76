import { describe, expect, it } from 'vitest';
import {
  filterAsksForPrompts,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  withoutPromptTagClauses,
} from '../../../src/domain/search/registry.js';
import { expectInvalid } from './helpers.js';

const oneRm = (filter: string) => {
  const parsed = parseRegisteredModelFilter(filter);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
};

const oneMv = (filter: string) => {
  const parsed = parseModelVersionFilter(filter);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
};

describe('parseRegisteredModelFilter', () => {
  it('accepts empty filters', () => {
    expect(parseRegisteredModelFilter()).toEqual([]);
    expect(parseRegisteredModelFilter('')).toEqual([]);
    expect(parseRegisteredModelFilter('   ')).toEqual([]);
  });

  it.each(['=', '!=', 'LIKE', 'ILIKE', 'like', 'ilike'])('accepts name %s, bare or with attribute.', (op) => {
    const expected = {
      entity: 'attribute',
      key: 'name',
      op: op.toUpperCase(),
      value: { kind: 'string', value: 'm%' },
    };
    expect(oneRm(`name ${op} 'm%'`)).toEqual(expected);
    expect(oneRm(`attribute.name ${op} "m%"`)).toEqual(expected);
  });

  it('accepts name IN / NOT IN lists (MLflow 3.17)', () => {
    expect(oneRm("name IN ('a', 'b')")).toEqual({
      entity: 'attribute',
      key: 'name',
      op: 'IN',
      value: { kind: 'list', values: ['a', 'b'] },
    });
    expect(oneRm("name NOT IN ('a')")).toMatchObject({
      op: 'NOT IN',
      value: { kind: 'list', values: ['a'] },
    });
  });

  it.each(['tag', 'tags'])('accepts %s.<key> with string comparators', (prefix) => {
    for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
      expect(oneRm(`${prefix}.team ${op} 'ml'`)).toEqual({
        entity: 'tag',
        key: 'team',
        op,
        value: { kind: 'string', value: 'ml' },
      });
    }
  });

  it('accepts quoted and dotted tag keys', () => {
    expect(oneRm("tags.`mlflow.prompt.is_prompt` = 'true'")).toMatchObject({
      entity: 'tag',
      key: 'mlflow.prompt.is_prompt',
    });
    expect(oneRm("tags.mlflow.prompt.is_prompt = 'true'")).toMatchObject({ key: 'mlflow.prompt.is_prompt' });
    expect(oneRm(`tags."my key" = 'v'`)).toMatchObject({ key: 'my key' });
  });

  it('combines clauses with AND', () => {
    expect(parseRegisteredModelFilter("name LIKE 'a%' AND tags.x = '1' and tags.y != '2'")).toHaveLength(3);
  });

  it('rejects unknown attributes', () => {
    for (const key of ['creation_timestamp', 'last_updated_timestamp', 'run_id', 'attribute.description']) {
      expectInvalid(() => parseRegisteredModelFilter(`${key} = 'x'`), /Invalid attribute key '.*' specified/);
    }
    expectInvalid(
      () => parseRegisteredModelFilter("description = 'x'"),
      "Invalid attribute key 'description' specified. Valid keys are '{'name'}'",
    );
  });

  it('rejects a quoted attribute key, as MLflow checks it before unquoting', () => {
    expectInvalid(
      () => parseRegisteredModelFilter(`"name" = 'x'`),
      `Invalid attribute key '"name"' specified`,
    );
    expectInvalid(
      () => parseRegisteredModelFilter("`name` = 'x'"),
      "Invalid attribute key '`name`' specified",
    );
  });

  it('rejects unknown entity types', () => {
    for (const prefix of ['attributes', 'param', 'metrics', 'run', '`tags`']) {
      expectInvalid(
        () => parseRegisteredModelFilter(`${prefix}.x = 'y'`),
        `Invalid entity type '${prefix}'. Valid entity types are ('attribute', 'tag', 'tags')`,
      );
    }
  });

  it('rejects bad comparators', () => {
    for (const op of ['<', '>=', '==', 'IS NULL', 'IS NOT NULL']) {
      const rhs = op.startsWith('IS') ? '' : " 'x'";
      expectInvalid(
        () => parseRegisteredModelFilter(`name ${op}${rhs}`),
        `Invalid comparator for attribute: ${op}`,
      );
      expectInvalid(
        () => parseRegisteredModelFilter(`tags.k ${op}${rhs}`),
        `Invalid comparator for tag: ${op}`,
      );
    }
  });

  it('rejects bad values', () => {
    expectInvalid(
      () => parseRegisteredModelFilter('name = 5'),
      'Expected a quoted string value or a list of quoted string values for attributes. Got value 5',
    );
    expectInvalid(() => parseRegisteredModelFilter('name = abc'), 'Parameter value is either not quoted');
    expectInvalid(
      () => parseRegisteredModelFilter('tags.k = 5'),
      "Expected a quoted string value for tag (e.g. 'my-value'). Got value 5",
    );
    expectInvalid(
      () => parseRegisteredModelFilter("tags.k IN ('a')"),
      "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')",
    );
    expectInvalid(() => parseRegisteredModelFilter('tags.k = v'), 'Parameter value is either not quoted');
  });

  it('rejects ill-formed filters', () => {
    expectInvalid(
      () => parseRegisteredModelFilter("name = 'a' OR name = 'b'"),
      'Invalid clause(s) in filter string',
    );
    expectInvalid(() => parseRegisteredModelFilter("name = 'a'; name = 'b'"), 'multiple expression');
    expectInvalid(() => parseRegisteredModelFilter('name IN ()'), 'empty list');
  });
});

describe('parseRegisteredModelOrderBy', () => {
  it('accepts name and the timestamps, normalising timestamp', () => {
    expect(parseRegisteredModelOrderBy([])).toEqual([]);
    expect(parseRegisteredModelOrderBy(['name'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
    ]);
    expect(parseRegisteredModelOrderBy(['name DESC'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: false },
    ]);
    expect(parseRegisteredModelOrderBy(['timestamp desc', 'name asc'])).toEqual([
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
      { entity: 'attribute', key: 'name', ascending: true },
    ]);
    expect(parseRegisteredModelOrderBy(['last_updated_timestamp ASC'])).toEqual([
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: true },
    ]);
    expect(parseRegisteredModelOrderBy(['`name` DESC'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: false },
    ]);
  });

  it('rejects other keys with MLflow’s message', () => {
    expectInvalid(
      () => parseRegisteredModelOrderBy(['creation_timestamp DESC']),
      "Invalid order by key 'creation_timestamp' specified. Valid keys are '{'name', 'timestamp'}'",
    );
    for (const key of ['version_number', 'attribute.name', 'tags.x', 'last_update_time']) {
      expectInvalid(() => parseRegisteredModelOrderBy([key]), `Invalid order by key '${key}' specified`);
    }
  });

  it('rejects duplicates, including timestamp and last_updated_timestamp together', () => {
    expectInvalid(
      () => parseRegisteredModelOrderBy(['name', 'name DESC']),
      "`order_by` contains duplicate fields: ['name', 'name DESC']",
    );
    expectInvalid(
      () => parseRegisteredModelOrderBy(['timestamp', 'last_updated_timestamp DESC']),
      '`order_by` contains duplicate fields',
    );
  });

  it('rejects unparsable clauses and bad directions', () => {
    expectInvalid(() => parseRegisteredModelOrderBy(['name DESC extra']), 'Could not be parsed');
    expectInvalid(
      () => parseRegisteredModelOrderBy(['name UP']),
      "Invalid ordering key in order_by clause 'name UP'",
    );
  });
});

describe('parseModelVersionFilter', () => {
  it('accepts empty filters', () => {
    expect(parseModelVersionFilter()).toEqual([]);
    expect(parseModelVersionFilter(' ')).toEqual([]);
  });

  it.each(['name', 'run_id', 'source_path'])('accepts %s with string comparators', (key) => {
    for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
      const expected = { entity: 'attribute', key, op, value: { kind: 'string', value: 'v' } };
      expect(oneMv(`${key} ${op} 'v'`)).toEqual(expected);
      expect(oneMv(`attribute.${key} ${op} "v"`)).toEqual(expected);
    }
  });

  it.each(['name', 'run_id'])('accepts %s IN / NOT IN', (key) => {
    expect(oneMv(`${key} IN ('a', 'b')`)).toEqual({
      entity: 'attribute',
      key,
      op: 'IN',
      value: { kind: 'list', values: ['a', 'b'] },
    });
    expect(oneMv(`${key} not in ('a')`)).toMatchObject({ op: 'NOT IN' });
  });

  it('accepts version_number with numeric comparators', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
      expect(oneMv(`version_number ${op} 3`)).toEqual({
        entity: 'attribute',
        key: 'version_number',
        op,
        value: { kind: 'number', value: 3 },
      });
    }
    expect(oneMv('attribute.version_number > -1')).toMatchObject({ value: { kind: 'number', value: -1 } });
  });

  it('accepts version_number against a quoted integer, as MLflow’s int(value) does', () => {
    expect(oneMv("version_number = '3'")).toMatchObject({ op: '=', value: { kind: 'number', value: 3 } });
    expect(oneMv('version_number >= " 12 "')).toMatchObject({ value: { kind: 'number', value: 12 } });
    expect(oneMv("version_number < '+7'")).toMatchObject({ value: { kind: 'number', value: 7 } });
    expect(oneMv("version_number < '1_000'")).toMatchObject({ value: { kind: 'number', value: 1000 } });
  });

  it('rejects non-integer version numbers', () => {
    expectInvalid(
      () => parseModelVersionFilter('version_number = 1.5'),
      "Invalid value for numeric attribute 'version_number': 1.5",
    );
    expectInvalid(
      () => parseModelVersionFilter('version_number = 2.0'),
      "Invalid value for numeric attribute 'version_number': 2.0",
    );
    expectInvalid(
      () => parseModelVersionFilter("version_number = 'abc'"),
      "Invalid value for numeric attribute 'version_number': 'abc'",
    );
    expectInvalid(
      () => parseModelVersionFilter("version_number = '1.0'"),
      "Invalid value for numeric attribute 'version_number': '1.0'",
    );
    expectInvalid(() => parseModelVersionFilter('version_number = 99999999999999999999'), 'Invalid value');
    expectInvalid(
      () => parseModelVersionFilter('version_number = abc'),
      'Parameter value is either not quoted',
    );
    expectInvalid(
      () => parseModelVersionFilter("version_number IN ('1')"),
      "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values.",
    );
  });

  it('rejects string comparators on version_number', () => {
    for (const op of ['LIKE', 'ILIKE', 'IS NULL']) {
      const rhs = op === 'IS NULL' ? '' : " '1'";
      expectInvalid(
        () => parseModelVersionFilter(`version_number ${op}${rhs}`),
        `Invalid comparator for attribute version_number: ${op}`,
      );
    }
  });

  it('rejects numbers for string attributes and lists for source_path', () => {
    expectInvalid(
      () => parseModelVersionFilter('run_id = 5'),
      "Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' attributes support comparison with numeric values.",
    );
    expectInvalid(
      () => parseModelVersionFilter("source_path IN ('a')"),
      "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values.",
    );
    expectInvalid(() => parseModelVersionFilter('name = m'), 'Parameter value is either not quoted');
  });

  it('rejects numeric comparators on string attributes', () => {
    for (const op of ['<', '>=']) {
      expectInvalid(
        () => parseModelVersionFilter(`run_id ${op} 'a'`),
        `Invalid comparator for attribute: ${op}`,
      );
    }
    expectInvalid(() => parseModelVersionFilter('name IS NULL'), 'Invalid comparator for attribute: IS NULL');
  });

  it('rejects unknown keys and entity types', () => {
    expectInvalid(
      () => parseModelVersionFilter("source = 'x'"),
      "Invalid attribute key 'source' specified. Valid keys are '{'name', 'version_number', 'run_id', 'source_path'}'",
    );
    for (const key of ['version', 'creation_timestamp', 'current_stage', 'attribute.status']) {
      expectInvalid(() => parseModelVersionFilter(`${key} = '1'`), 'Invalid attribute key');
    }
    expectInvalid(
      () => parseModelVersionFilter("params.x = 'y'"),
      "Invalid entity type 'params'. Valid entity types are ('attribute', 'tag', 'tags')",
    );
  });

  it('accepts tags with string comparators only', () => {
    for (const prefix of ['tag', 'tags']) {
      for (const op of ['=', '!=', 'LIKE', 'ILIKE']) {
        expect(oneMv(`${prefix}.\`a b\` ${op} 'v'`)).toEqual({
          entity: 'tag',
          key: 'a b',
          op,
          value: { kind: 'string', value: 'v' },
        });
      }
    }
    expectInvalid(() => parseModelVersionFilter("tags.k > 'v'"), 'Invalid comparator for tag: >');
    expectInvalid(
      () => parseModelVersionFilter('tags.k IS NOT NULL'),
      'Invalid comparator for tag: IS NOT NULL',
    );
    expectInvalid(() => parseModelVersionFilter('tags.k = 1'), 'Expected a quoted string value for tag');
  });

  it('combines clauses', () => {
    expect(
      parseModelVersionFilter("name = 'm' AND version_number >= 2 AND run_id IN ('r1') AND tags.t LIKE 'x%'"),
    ).toHaveLength(4);
  });
});

describe('parseModelVersionOrderBy', () => {
  it('accepts the four keys, with or without attribute.', () => {
    expect(parseModelVersionOrderBy([])).toEqual([]);
    expect(
      parseModelVersionOrderBy([
        'last_updated_timestamp DESC',
        'name',
        'attribute.version_number DESC',
        'creation_timestamp asc',
      ]),
    ).toEqual([
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'version_number', ascending: false },
      { entity: 'attribute', key: 'creation_timestamp', ascending: true },
    ]);
  });

  it('rejects other keys, including timestamp', () => {
    expectInvalid(
      () => parseModelVersionOrderBy(['timestamp DESC']),
      "Invalid attribute key 'timestamp' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'",
    );
    for (const key of ['version', 'run_id', 'source_path']) {
      expectInvalid(() => parseModelVersionOrderBy([key]), `Invalid attribute key '${key}'`);
    }
    expectInvalid(
      () => parseModelVersionOrderBy(['tags.x']),
      "Invalid order by key 'x' specified. Valid keys are {'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}",
    );
    expectInvalid(() => parseModelVersionOrderBy(['tag.name']), "Invalid order by key 'name'");
    expectInvalid(() => parseModelVersionOrderBy(['metrics.x']), "Invalid entity type 'metrics'");
  });

  it('rejects duplicates', () => {
    expectInvalid(
      () => parseModelVersionOrderBy(['name', 'attribute.name DESC']),
      "`order_by` contains duplicate fields: ['name', 'attribute.name DESC']",
    );
  });
});

describe('prompt handling', () => {
  const asks = (filter: string) => filterAsksForPrompts(parseRegisteredModelFilter(filter));

  it('asks for prompts on = true or != false', () => {
    expect(asks("tags.`mlflow.prompt.is_prompt` = 'true'")).toBe(true);
    expect(asks("tags.`mlflow.prompt.is_prompt` = 'True'")).toBe(true);
    expect(asks("tags.`mlflow.prompt.is_prompt` != 'false'")).toBe(true);
    expect(asks("name LIKE 'p%' AND tag.mlflow.prompt.is_prompt = 'true'")).toBe(true);
    expect(filterAsksForPrompts(parseModelVersionFilter("tags.`mlflow.prompt.is_prompt` = 'true'"))).toBe(
      true,
    );
  });

  it('does not otherwise', () => {
    expect(filterAsksForPrompts([])).toBe(false);
    expect(asks("name = 'x'")).toBe(false);
    expect(asks("tags.`mlflow.prompt.is_prompt` = 'false'")).toBe(false);
    expect(asks("tags.`mlflow.prompt.is_prompt` != 'true'")).toBe(false);
    expect(asks("tags.`mlflow.prompt.is_prompt` LIKE 'true'")).toBe(false);
    expect(asks("tags.other = 'true'")).toBe(false);
  });

  it('lets the first prompt-tag clause decide, as MLflow does', () => {
    expect(asks("tags.`mlflow.prompt.is_prompt` = 'false' AND tags.`mlflow.prompt.is_prompt` = 'true'")).toBe(
      false,
    );
    expect(asks("tags.`mlflow.prompt.is_prompt` = 'true' AND tags.`mlflow.prompt.is_prompt` = 'false'")).toBe(
      true,
    );
  });

  it('drops prompt-tag clauses only when prompts are not asked for', () => {
    const excluding = parseRegisteredModelFilter("name = 'm' AND tags.`mlflow.prompt.is_prompt` = 'false'");
    expect(withoutPromptTagClauses(excluding)).toEqual([excluding[0]]);
    const including = parseRegisteredModelFilter("name = 'm' AND tags.`mlflow.prompt.is_prompt` = 'true'");
    expect(withoutPromptTagClauses(including)).toEqual(including);
  });
});
