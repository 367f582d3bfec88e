// A stand-in for an application page: it holds a live replica of flags/ through the client SDK and
// shows, for one flag, its rollout and how many of 1,000 users it serves 'on' now, re-rendered on
// every change. Opened as /index.html?endpoint=<member URL>&flag=<flag key>.
import { createClient } from '../../../client/index.ts';
import { isVaneError } from '../../../core/errors.ts';
import { evaluateFlag, flagStorageKey, parseFlagDocument } from '../../../core/flags/index.ts';

const USERS = 1000;
const params = new URLSearchParams(location.search);
const endpoint = params.get('endpoint');
const flagKey = params.get('flag');
if (endpoint === null || flagKey === null) throw new Error('flag-watcher needs ?endpoint=...&flag=...');

const client = createClient({ endpoints: [endpoint] });
const replica = client.replica('flags/');
const line = (id: string) => {
  const p = document.createElement('p');
  p.id = id;
  document.body.append(p);
  return p;
};
const rollout = line('rollout');
const served = line('served');
const revision = line('revision');

function render(): void {
  const kv = replica.getKv(flagStorageKey(flagKey!));
  revision.textContent = `revision ${replica.revision}`;
  if (kv === undefined) {
    rollout.textContent = 'no such flag';
    return;
  }
  const flag = parseFlagDocument(kv.value, flagKey!);
  if (isVaneError(flag)) {
    rollout.textContent = `invalid flag: ${flag.message}`;
    return;
  }
  const shares = flag.fallthrough.rollout?.variations ?? [];
  rollout.textContent = shares.map((s) => `${s.variation} ${s.weight / 1000}%`).join(', ');
  let on = 0;
  for (let i = 0; i < USERS; i++) if (evaluateFlag(flag, { key: `user-${i}` }).variationId === 'on') on++;
  served.textContent = `${on} of ${USERS} users get on`;
}

replica.subscribe('flags/', render);
void replica.ready.then(render);
