import { TAG_IS_PROMPT } from '../../domain/entities/registry.js';

/** Tags MLflow leaves out of prompt webhook payloads (they mark the entity as a prompt). */
export const PROMPT_INTERNAL_TAGS = [TAG_IS_PROMPT, '_mlflow_prompt_type'] as const;
export const TAG_PROMPT_TEXT = 'mlflow.prompt.text';

/** Request tags as a payload's `tags` object: last value per key wins, `omit`ted keys dropped. */
export function tagDict(
  tags: readonly { key: string; value: string }[],
  omit: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) if (!omit.includes(t.key)) out[t.key] = t.value;
  return out;
}
