/** Hide credentials in URIs that end up in messages and logs. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
