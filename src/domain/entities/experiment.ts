import type { KeyValue, LifecycleStage } from './common.js';

export const DEFAULT_WORKSPACE = 'default';
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: KeyValue[];
  /** Not on MLflow's wire yet; stored from day one so workspaces land without a data migration. */
  workspace: string;
}
