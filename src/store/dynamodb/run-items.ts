import type { KeyValue } from '../../domain/entities/common.js';
import type { Metric } from '../../domain/entities/metric.js';
import type { DatasetInput, Run, RunInfo, RunStatus } from '../../domain/entities/run.js';
import type { Item } from './ddb.js';

/** Run META item (`EXP#<exp>` / `R#<run>`). */
export interface RunMeta {
  PK: string;
  SK: string;
  run_id: string;
  experiment_id: string;
  name: string;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  deleted_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
  /** Raised by every write to the run, after the write: a cached snapshot is reused only at the same version. */
  ver: number;
  /** Tags matching the denormalization patterns (config.ts), exact while `dph` is the current patterns hash. */
  dtags?: Record<string, string>;
  dph?: string;
}

export function toRunInfo(m: RunMeta): RunInfo {
  return {
    run_id: m.run_id,
    run_uuid: m.run_id,
    run_name: m.name,
    experiment_id: m.experiment_id,
    user_id: m.user_id,
    status: m.status as RunStatus,
    start_time: m.start_time ?? null,
    end_time: m.end_time ?? null,
    artifact_uri: m.artifact_uri,
    lifecycle_stage: m.lifecycle_stage,
  };
}

/** What follows `R#<run>#` in a child item's SK: `T#`, `P#`, `I#`, `MI#`, `O#`. */
function childKind(sk: string, runId: string): string | undefined {
  const rest = sk.slice(runId.length + 3);
  const i = rest.indexOf('#');
  return i < 0 ? undefined : rest.slice(0, i);
}

/**
 * A complete run from its META item, its child items (one query on `R#<run>`, in key order) and its latest metrics
 * (latest.ts).
 */
export function assembleRun(meta: RunMeta, children: readonly Item[], metrics: Metric[]): Run {
  const tags: KeyValue[] = [];
  const params: KeyValue[] = [];
  const datasetInputs: DatasetInput[] = [];
  const modelInputs: { model_id: string }[] = [];
  const outputs: { model_id: string; step: number }[] = [];
  for (const c of children) {
    switch (childKind(c.SK as string, meta.run_id)) {
      case 'T':
        tags.push({ key: c.key as string, value: c.value as string });
        break;
      case 'P':
        params.push({ key: c.key as string, value: c.value as string });
        break;
      case 'I': {
        const dataset: DatasetInput['dataset'] = {
          name: c.name as string,
          digest: c.digest as string,
          source_type: c.source_type as string,
          source: c.source as string,
        };
        if (typeof c.schema === 'string') dataset.schema = c.schema;
        if (typeof c.profile === 'string') dataset.profile = c.profile;
        datasetInputs.push({ tags: (c.tags as KeyValue[] | undefined) ?? [], dataset });
        break;
      }
      case 'MI':
        modelInputs.push({ model_id: c.model_id as string });
        break;
      case 'O':
        outputs.push({ model_id: c.model_id as string, step: c.step as number });
        break;
    }
  }
  return {
    info: toRunInfo(meta),
    data: { metrics, params, tags },
    inputs: { dataset_inputs: datasetInputs, model_inputs: modelInputs },
    outputs: { model_outputs: outputs },
  };
}
