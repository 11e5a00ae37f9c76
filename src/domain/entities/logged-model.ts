import type { KeyValue } from './common.js';
import type { Metric } from './metric.js';

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface LoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatus;
  creator_id?: string;
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  tags: KeyValue[];
  registrations: { name: string; version: string }[];
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: { params: KeyValue[]; metrics: Metric[] };
}
