// The test page of test/e2e/sdk.test.ts, bundled by esbuild from the SDK's browser entry: it shows
// the live value of app/greeting and a flag, with the connection's status and whether the state is
// confirmed, and logs every change set it hears. window.vane lets the test read it all.
import {
  type ChangeSet,
  type ClientStatus,
  createClient,
  idbStorage,
  sharedConnectionName,
} from '../../client/browser.ts';
import { flagsReplica } from '../../client/flags.ts';
import { checkVectors, type VectorMismatch } from '../../core/flags/index.ts';

export interface PageState {
  readonly ready: boolean;
  readonly greeting: string | undefined;
  readonly revision: number;
  readonly stale: boolean;
  readonly status: ClientStatus;
  readonly flag: boolean;
  /** Every change set heard since the page loaded: its revision and the keys it changed. */
  readonly log: readonly { readonly revision: number; readonly keys: readonly string[] }[];
}

declare global {
  interface Window {
    vane: {
      state(): PageState;
      cachedRevision(): Promise<number | undefined>;
      checkVectors(): Promise<VectorMismatch[]>;
      idbSelfTest(): Promise<readonly (number | undefined)[]>;
    };
  }
}

const endpoints = (new URLSearchParams(location.search).get('endpoints') ?? '').split(',');
const storage = idbStorage({ namespace: sharedConnectionName(endpoints) });
const client = createClient({
  endpoints,
  storage,
  staleAfterMs: 1000,
  backoff: { initialMs: 50, maxMs: 500 },
});
const replica = client.replica('app/');
const flags = flagsReplica(client);
const log: { revision: number; keys: string[] }[] = [];

function state(): PageState {
  return {
    ready: replica.isReady,
    greeting: replica.get('app/greeting'),
    revision: replica.revision,
    stale: replica.stale,
    status: client.status,
    flag: flags.boolean('dark-mode', false, { key: 'visitor', plan: 'pro' }),
    log,
  };
}

function render(): void {
  const now = state();
  const body = document.body;
  body.dataset.ready = String(now.ready);
  body.dataset.stale = String(now.stale);
  body.dataset.status = now.status.state;
  body.innerHTML = `<h1 id="greeting">${now.greeting ?? ''}</h1>
<p>dark mode: <span id="flag">${now.flag}</span></p>
<p>revision <span id="revision">${now.revision}</span>, connection <span id="status">${now.status.state}</span>${now.stale ? ' (stale: not yet confirmed by the cluster)' : ''}</p>
<ol id="log">${log.map((entry) => `<li>${entry.revision}: ${entry.keys.join(', ')}</li>`).join('')}</ol>`;
}

replica.subscribe('app/', (change: ChangeSet) => {
  log.push({ revision: change.revision, keys: change.changes.map((one) => one.key) });
  render();
});
client.on('status', render);
flags.onChange(render);
void replica.ready.then(render);
void flags.ready.then(render);

window.vane = {
  state,
  cachedRevision: async () => (await storage.get('app/'))?.revision,
  checkVectors: async () => checkVectors(await (await fetch('/vectors.json')).json()),
  /**
   * A record is never replaced by an older one, namespaces are apart, delete removes a record, and a
   * record this SDK cannot read (written here straight into IndexedDB) is absent until overwritten.
   */
  idbSelfTest: async () => {
    const mine = idbStorage({ namespace: 'self-test' });
    const theirs = idbStorage({ namespace: 'self-test-other' });
    await mine.set({ prefix: 'p/', revision: 5, kvs: [] });
    await mine.set({ prefix: 'p/', revision: 3, kvs: [] });
    const kept = (await mine.get('p/'))?.revision;
    const apart = (await theirs.get('p/'))?.revision;
    await mine.delete('p/');
    const deleted = (await mine.get('p/'))?.revision;
    await writeRaw(['self-test', 'q/'], { format: 1, prefix: 'q/', revision: 'seven', kvs: [] });
    const unreadable = (await mine.get('q/'))?.revision;
    await mine.set({ prefix: 'q/', revision: 2, kvs: [] });
    const replaced = (await mine.get('q/'))?.revision;
    return [kept, apart, deleted, unreadable, replaced];
  },
};
render();

/** Puts `value` at `key` in idbStorage's default database and store, bypassing idbStorage. */
function writeRaw(key: IDBValidKey, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('vane');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const transaction = open.result.transaction('replicas', 'readwrite');
      transaction.objectStore('replicas').put(value, key);
      transaction.oncomplete = () => {
        open.result.close();
        resolve();
      };
      transaction.onerror = () => reject(transaction.error);
    };
  });
}
