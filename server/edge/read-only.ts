// The edge only reads: a write that reaches it is refused, saying where to send it.
import { type VaneError, vaneError } from '../../core/errors.ts';

export function readOnlyError(what: string): VaneError {
  return vaneError(
    'invalidRequest',
    `${what} is a write, and this edge tier is read-only: send writes to the cluster's members (their client URLs), and read the result here with minRevision set to the write's revision`,
    { readOnly: true },
  );
}
