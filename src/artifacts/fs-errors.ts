import { MlflowError } from '../domain/errors.js';

export type ArtifactOp = 'read' | 'write' | 'list' | 'delete';

/**
 * Turns a filesystem error into an MLflow error that names the artifact path the client sent, never the
 * server's absolute path. Client mistakes (missing file, file where a directory is needed, names too long)
 * become 4xx; server-side trouble (permissions, full disk) stays a 5xx with a generic message.
 */
export function mapFsError(err: unknown, relPath: string, op: ArtifactOp): unknown {
  if (err instanceof MlflowError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const shown = relPath === '' ? '.' : relPath;
  switch (code) {
    case 'ENOENT':
      return new MlflowError('RESOURCE_DOES_NOT_EXIST', `No such file or directory: '${shown}'`);
    case 'ENOTDIR':
      return op === 'write'
        ? new MlflowError('INVALID_PARAMETER_VALUE', `Cannot write '${shown}': a parent path is a file`)
        : new MlflowError('RESOURCE_DOES_NOT_EXIST', `No such file or directory: '${shown}'`);
    case 'EISDIR':
      return new MlflowError('INVALID_PARAMETER_VALUE', `'${shown}' is a directory, not a file`);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Cannot ${op} '${shown}': a conflicting entry exists`,
      );
    case 'ENAMETOOLONG':
    case 'ELOOP':
    case 'EINVAL':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path');
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new MlflowError('INTERNAL_ERROR', `The artifact store refused to ${op} '${shown}'`);
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new MlflowError('BAD_REQUEST', `The upload of '${shown}' was interrupted`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new MlflowError('INTERNAL_ERROR', 'The artifact store is out of space');
    default:
      return err;
  }
}
