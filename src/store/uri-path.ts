/**
 * MLflow's append_to_uri_path: add POSIX segments to a URI or local path, keeping scheme, host and query.
 * `mlflow-artifacts:/` + `1` → `mlflow-artifacts:/1`; `/abs/root` + `1` → `/abs/root/1`.
 */
export function appendUriPath(base: string, ...segments: string[]): string {
  const q = base.indexOf('?');
  const head = q >= 0 ? base.slice(0, q) : base;
  const query = q >= 0 ? base.slice(q) : '';
  let out = head;
  for (const seg of segments) {
    const s = seg.replace(/^\/+/, '');
    if (s === '') continue;
    out = out.endsWith('/') ? out + s : `${out}/${s}`;
  }
  return out + query;
}
