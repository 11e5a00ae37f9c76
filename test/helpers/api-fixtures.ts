import { expect } from 'vitest';
import { type ApiClient, ok } from './http.js';

/** Wire shapes as the tests read them (only what they assert on is typed). */
export interface WireKv {
  key: string;
  value: string;
}

export interface WireMetric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface WireExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags?: WireKv[];
}

export interface WireRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface WireRun {
  info: WireRunInfo;
  data: { metrics?: WireMetric[]; params?: WireKv[]; tags?: WireKv[] };
  inputs?: { dataset_inputs?: unknown[]; model_inputs?: { model_id: string }[] };
  outputs?: { model_outputs?: { model_id: string; step: number }[] };
}

export interface WireLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    status: string;
    artifact_uri: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    tags?: WireKv[];
    model_type?: string;
    source_run_id?: string;
    registrations?: unknown[];
  };
  data: { params?: WireKv[]; metrics?: WireMetric[] };
}

let seq = 0;
export function uniqueName(prefix = 'exp'): string {
  seq += 1;
  return `${prefix}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createExperiment(api: ApiClient, body: Record<string, unknown> = {}): Promise<string> {
  const res = ok<{ experiment_id: string }>(
    await api.post('/experiments/create', { name: uniqueName(), ...body }),
  );
  expect(typeof res.experiment_id).toBe('string');
  return res.experiment_id;
}

export async function createRun(api: ApiClient, body: Record<string, unknown> = {}): Promise<WireRun> {
  return ok<{ run: WireRun }>(await api.post('/runs/create', { start_time: 1_700_000_000_000, ...body })).run;
}

export async function getRun(api: ApiClient, runId: string): Promise<WireRun> {
  return ok<{ run: WireRun }>(await api.get('/runs/get', { run_id: runId })).run;
}

export async function getExperiment(api: ApiClient, id: string): Promise<WireExperiment> {
  return ok<{ experiment: WireExperiment }>(await api.get('/experiments/get', { experiment_id: id }))
    .experiment;
}

export async function createModel(api: ApiClient, body: Record<string, unknown>): Promise<WireLoggedModel> {
  return ok<{ model: WireLoggedModel }>(await api.post('/logged-models', body)).model;
}

export function tagOf(tags: readonly WireKv[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.key === key)?.value;
}
