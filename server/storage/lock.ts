// `<dir>/LOCK` keeps two processes from opening one data directory: created exclusively with the
// owner's pid inside. A lock whose pid is no longer running was left by a crash and is taken over.
// Two processes taking over the same stale lock at the same instant could both succeed; a member
// restarted by one supervisor does not do that.
import type { Logger } from '../../core/raft/types.ts';
import { DataDirError } from './errors.ts';
import type { FileSystem, ProcessTable } from './fs.ts';

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

const LOCK_NAME = 'LOCK';
/** Attempts to create the lock when it keeps vanishing or going stale under us. */
const MAX_LOCK_ATTEMPTS = 3;

export async function acquireLock(
  fs: FileSystem,
  processes: ProcessTable,
  dir: string,
  logger: Logger,
): Promise<DataDirLock> {
  const path = `${dir}/${LOCK_NAME}`;
  const content = new TextEncoder().encode(`${processes.pid}\n`);
  const lock: DataDirLock = {
    path,
    async release(): Promise<void> {
      // Only remove the lock if it is still ours.
      if ((await readHolder(fs, dir)) === processes.pid) await fs.unlink(path);
    },
  };
  for (let attempt = 0; attempt < MAX_LOCK_ATTEMPTS; attempt++) {
    if (await fs.createExclusive(path, content)) return lock;
    const holder = await readHolder(fs, dir);
    if (holder === 'missing') continue;
    if (holder !== 'unreadable' && processes.isAlive(holder)) {
      throw new DataDirError(
        'locked',
        `data directory ${dir} is in use by process ${holder} (${path}); stop that process, or if it is not a Vane member, remove ${path}`,
        { path },
      );
    }
    logger.warn('data directory lock left by a process that is no longer running; taking it over', {
      lock: path,
      stalePid: holder,
    });
    await fs.unlink(path);
  }
  throw new DataDirError(
    'locked',
    `data directory ${dir}: could not create ${path}; another process keeps taking it`,
    {
      path,
    },
  );
}

/** The pid in the lock file; 'unreadable' if it holds no pid (a crash while it was being created). */
async function readHolder(fs: FileSystem, dir: string): Promise<number | 'missing' | 'unreadable'> {
  if (!(await fs.list(dir)).includes(LOCK_NAME)) return 'missing';
  const text = new TextDecoder().decode(await fs.readFile(`${dir}/${LOCK_NAME}`)).trim();
  const pid = Number(text);
  return /^[0-9]{1,15}$/.test(text) && pid > 0 ? pid : 'unreadable';
}
