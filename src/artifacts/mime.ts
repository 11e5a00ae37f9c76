/**
 * Content type for an artifact download, after MLflow's `_guess_mime_type`: text-like files (and extensionless
 * `MLmodel`/`MLproject`) are `text/plain`, a few binary types are named, everything else is
 * `application/octet-stream`. Active content never gets an active type: HTML, JavaScript and XML are served as
 * text/plain, and downloads always carry `Content-Disposition: attachment` plus a sandboxing CSP.
 */
const TEXT = new Set([
  'txt',
  'log',
  'err',
  'cfg',
  'conf',
  'cnf',
  'cf',
  'ini',
  'properties',
  'prop',
  'hocon',
  'toml',
  'yaml',
  'yml',
  'xml',
  'json',
  'js',
  'py',
  'py3',
  'csv',
  'tsv',
  'md',
  'rst',
  'ipynb',
  'MLmodel',
  'MLproject',
  'mlmodel',
  'mlproject',
  // Never rendered as markup from the API origin.
  'html',
  'htm',
  'xhtml',
  'mjs',
  'css',
]);

const BINARY: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  ico: 'image/vnd.microsoft.icon',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  mp3: 'audio/mpeg',
  wav: 'audio/x-wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
};

export function guessContentType(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext = dot > 0 ? fileName.slice(dot + 1) : fileName;
  if (TEXT.has(ext) || TEXT.has(ext.toLowerCase())) return 'text/plain'; // exactly, as MLflow sends it
  return BINARY[ext.toLowerCase()] ?? 'application/octet-stream';
}

/**
 * `attachment; filename=<name>` exactly as MLflow sends it when the name is plain ASCII; otherwise a quoted
 * ASCII fallback plus RFC 6266 `filename*` so that quotes, semicolons and non-Latin names cannot break the header.
 */
export function attachmentDisposition(fileName: string): string {
  if (/^[A-Za-z0-9._+-]+$/.test(fileName)) return `attachment; filename=${fileName}`;
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
