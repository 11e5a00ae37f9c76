import type { KeyValue, LifecycleStage } from './common.js';
import type { Metric } from './metric.js';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: KeyValue[];
  dataset: Dataset;
}

export interface Run {
  info: RunInfo;
  data: { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] };
  inputs: { dataset_inputs: DatasetInput[]; model_inputs: { model_id: string }[] };
  outputs: { model_outputs: { model_id: string; step: number }[] };
}

export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_USER = 'mlflow.user';
export const TAG_PARENT_RUN_ID = 'mlflow.parentRunId';
export const TAG_DATASET_CONTEXT = 'mlflow.data.context';
export const TAG_LOGGED_MODEL_VERSIONS = 'mlflow.modelVersions';
