// Failures of the data directory that a person must act on. Thrown (openDataDir and save reject
// with them) because each one stops the member: it must not run on state it cannot trust.

export type DataDirErrorCode =
  /** A WAL segment or snapshot file is damaged somewhere other than a torn last record. */
  | 'corrupt'
  /** Another live process holds the data directory's lock file. */
  | 'locked'
  /** A record, save or snapshot exceeds a StorageLimits bound. */
  | 'limitExceeded'
  /** The data directory was closed. */
  | 'closed'
  /** A write or fsync failed earlier; the WAL's on-disk state is unknown, so it refuses further writes. */
  | 'failed';

export class DataDirError extends Error {
  readonly code: DataDirErrorCode;
  /** The file concerned, when there is one. */
  readonly path: string | undefined;
  /** The byte offset in `path` where the damage was found, for 'corrupt'. */
  readonly offset: number | undefined;

  constructor(code: DataDirErrorCode, message: string, location?: { path: string; offset?: number }) {
    super(message);
    this.name = 'DataDirError';
    this.code = code;
    this.path = location?.path;
    this.offset = location?.offset;
  }
}

const CORRUPTION_ADVICE =
  'The member cannot start on damaged state: restore its data directory from a backup, or remove the member from the cluster and add it back with an empty data directory.';

export function corruption(path: string, offset: number, problem: string): DataDirError {
  return new DataDirError(
    'corrupt',
    `${path} is corrupt at byte offset ${offset}: ${problem}. ${CORRUPTION_ADVICE}`,
    {
      path,
      offset,
    },
  );
}
