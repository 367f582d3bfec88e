// snapshot save: a backup of the store, streamed from a member to a file. snapshot restore: a
// fresh data directory for one member of a new cluster, started from such a file (disaster
// recovery: every member of the new cluster restores the same file with its own name).
import { open, readdir, rename, rm } from 'node:fs/promises';
import { formatBytes } from '../../core/limits.ts';
import { KvStore } from '../../core/store/index.ts';
import { nodeFileSystem, nodeProcessTable } from '../adapters/node/fs.ts';
import { parseInitialCluster } from '../config.ts';
import { encodeMemberSnapshot, MembersTable } from '../member/index.ts';
import { DEFAULT_STORAGE_LIMITS, EMPTY_CONF_STATE, openDataDir } from '../storage/index.ts';
import { interrupted } from './api-client.ts';
import { clientContext } from './client-context.ts';
import { CliError, type CommandInput, type CommandSpec, usageError } from './command.ts';
import { readInput } from './input.ts';
import { Output, plural } from './output.ts';

/** The largest snapshot accepted, the storage's own limit on snapshot files. */
export const MAX_SNAPSHOT_BYTES = DEFAULT_STORAGE_LIMITS.maxSnapshotBytes;

export const snapshotSaveCommand: CommandSpec = {
  path: ['snapshot', 'save'],
  summary: "Save a snapshot of a member's store to FILE (a backup).",
  details: [
    'The file is written under FILE.part and renamed when complete, so FILE is never half written.',
    '',
    'Example:',
    '  vane snapshot save backup.snap',
  ].join('\n'),
  args: [{ name: 'FILE' }],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const file = input.args.FILE!;
    const { api, out } = clientContext(input);
    const { endpoint, response } = await api.stream({
      method: 'GET',
      path: '/v1/snapshot',
      what: 'the snapshot',
    });
    const revision = Number(response.headers.get('X-Vane-Revision') ?? Number.NaN);
    const member = response.headers.get('X-Vane-Member') ?? endpoint;
    const bytes = await writeStream(response, file, input.io.interrupt);
    out.print(
      { file, bytes, revision, member },
      () => `saved the snapshot at revision ${revision} from ${member} to ${file} (${formatBytes(bytes)})`,
    );
    return 0;
  },
};

/** Streams the body to `file` through `file.part` (synced, then renamed); returns the byte count. */
async function writeStream(response: Response, file: string, interrupt: AbortSignal): Promise<number> {
  const partial = `${file}.part`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(partial, 'w');
  } catch (error) {
    throw new CliError(`cannot write ${partial}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let bytes = 0;
  try {
    if (response.body === null) throw new CliError('the member sent an empty snapshot');
    for await (const chunk of response.body) {
      if (interrupt.aborted) throw interrupted();
      bytes += chunk.length;
      if (bytes > MAX_SNAPSHOT_BYTES) {
        throw new CliError(
          `the snapshot exceeds ${formatBytes(MAX_SNAPSHOT_BYTES)} (the storage's maxSnapshotBytes)`,
        );
      }
      await handle.write(chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    if (interrupt.aborted) throw interrupted();
    throw new CliError(`the snapshot download broke off after ${formatBytes(bytes)}: ${String(error)}`);
  }
  await handle.close();
  await rename(partial, file);
  return bytes;
}

export const snapshotRestoreCommand: CommandSpec = {
  path: ['snapshot', 'restore'],
  summary: 'Create a fresh data directory for one member of a new cluster from a snapshot file.',
  details: [
    'Disaster recovery: run it once per member of the new cluster, with the same FILE and',
    "--initial-cluster and each member's own --name and --data-dir; then start every member with",
    '`vane serve` on those data directories. The new cluster starts with the data of the snapshot.',
    '',
    'Example:',
    '  vane snapshot restore backup.snap --name m1 --data-dir /var/lib/vane/m1 \\',
    '    --initial-cluster m1=ws://10.0.0.1:7380,m2=ws://10.0.0.2:7380,m3=ws://10.0.0.3:7380',
  ].join('\n'),
  args: [{ name: 'FILE' }],
  options: {
    name: {
      type: 'string',
      valueName: 'NAME',
      description: 'the member this data directory is for (required)',
    },
    'data-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'the directory to create (default ./<name>.vane); must not exist or be empty',
    },
    'initial-cluster': {
      type: 'string',
      valueName: 'LIST',
      description: 'every member of the new cluster, name=peerURL,... (required)',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  client: false,
  async run(input: CommandInput) {
    const { options, command } = input;
    const out = new Output(input.io, options.flag('json'));
    const file = input.args.FILE!;
    const name = options.string('name');
    if (name === undefined) throw usageError('--name is required', command);
    const initialText = options.string('initial-cluster');
    if (initialText === undefined) throw usageError('--initial-cluster is required', command);
    const initial = parseInitialCluster(initialText);
    if (typeof initial === 'string') throw usageError(`--initial-cluster: ${initial}`, command);
    if (!initial.has(name))
      throw usageError(`--initial-cluster does not list this member '${name}'`, command);
    const dir = options.string('data-dir') ?? `./${name}.vane`;
    await refuseExisting(dir);

    const bytes = await readInput(input.io, file, MAX_SNAPSHOT_BYTES, "storage's maxSnapshotBytes");
    const store = KvStore.restore(bytes);
    if (!(store instanceof KvStore)) throw new CliError(`${file} is not a usable snapshot: ${store.message}`);
    const members = new MembersTable();
    for (const [id, peerUrl] of initial) members.set(id, peerUrl);
    // The log starts after the store's own applied index, so that entries the new cluster commits
    // are applied after it; term 1 is the first term of the new cluster.
    const index = Math.max(1, store.appliedIndex);
    const snapshot = {
      metadata: { index, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [...initial.keys()].sort() } },
      data: encodeMemberSnapshot(members, bytes),
    };
    const { dataDir } = await openDataDir({
      dir,
      fs: nodeFileSystem,
      processes: nodeProcessTable,
      logger: { debug() {}, info() {}, warn() {} },
    });
    try {
      await dataDir.save({ snapshot, hardState: { term: 1, vote: null, commit: index } });
    } finally {
      await dataDir.close();
    }
    const listenPeer = new URL(initial.get(name)!).host;
    out.print(
      {
        dataDir: dir,
        name,
        revision: store.revision,
        keys: store.keyCount,
        index,
        members: [...initial.keys()],
      },
      () => [
        `restored revision ${store.revision} (${plural(store.keyCount, 'key')}) into ${dir} for member ${name} of ${[...initial.keys()].join(', ')}`,
        `start it with: vane serve --name ${name} --data-dir ${dir} --listen-peer ${listenPeer} --cluster-secret ...`,
        ...(initial.size > 1
          ? ['and restore the same file for each other member, with its own --name and --data-dir']
          : []),
      ],
    );
    return 0;
  },
};

async function refuseExisting(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(
      `cannot use ${dir} as the data directory: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (entries.length > 0) {
    throw new CliError(
      `${dir} already exists and is not empty; restore creates a fresh data directory (move the old one away first)`,
    );
  }
}
