/** Entities mirror MLflow's protobuf messages field for field (snake_case), so the wire layer is a plain copy. */
export interface KeyValue {
  key: string;
  value: string;
}

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Page<T> {
  items: T[];
  next_page_token?: string;
}

/** The lifecycle stages a view type selects. */
export const stagesFor = (v: ViewType): ('active' | 'deleted')[] =>
  v === 'ACTIVE_ONLY' ? ['active'] : v === 'DELETED_ONLY' ? ['deleted'] : ['active', 'deleted'];
