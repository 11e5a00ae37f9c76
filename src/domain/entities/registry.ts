import type { KeyValue } from './common.js';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
/** Soft-deleted versions keep their number (never reused) but disappear from get and search. */
export const DELETED_STAGE = 'Deleted_Internal';

export const TAG_IS_PROMPT = 'mlflow.prompt.is_prompt';
export const PROMPT_SOURCE = 'prompt-template';

export interface ModelVersion {
  name: string;
  /** A string on the wire. */
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  status: 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';
  status_message?: string;
  tags: KeyValue[];
  run_link?: string;
  aliases: string[];
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  description?: string;
  latest_versions: ModelVersion[];
  tags: KeyValue[];
  aliases: { alias: string; version: string }[];
}

/** Canonical stage name for any casing, or undefined. */
export function canonicalStage(s: string): Stage | undefined {
  return STAGES.find((x) => x.toLowerCase() === s.toLowerCase());
}
