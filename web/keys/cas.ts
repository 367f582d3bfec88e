// Every write the Keys view makes is a compare-and-swap: it goes through only if the key is still
// as the editor saw it, so two people editing one key never overwrite each other silently. On a
// conflict the answer carries the key as it is now, to show the newer value.
import type { Client, KeyValue, TxnResult } from '../../client/index.ts';

export type CasOutcome =
  | { readonly ok: true; readonly revision: number }
  /** Someone else changed (or created, or deleted) the key first; `current` is it now (null: deleted). */
  | { readonly ok: false; readonly current: KeyValue | null };

type Txn = Pick<Client, 'txn'>;

/** Puts `value` if the key was last written at `expectedModRevision`. */
export function saveIfUnchanged(client: Txn, key: string, value: string, expectedModRevision: number) {
  return run(
    client,
    key,
    { key, target: 'modRevision', result: 'equal', value: expectedModRevision },
    { put: { key, value } },
  );
}

/** Puts `value` only if the key does not exist. */
export function createIfAbsent(client: Txn, key: string, value: string) {
  return run(client, key, { key, target: 'version', result: 'equal', value: 0 }, { put: { key, value } });
}

/** Deletes the key if it was last written at `expectedModRevision`. */
export function deleteIfUnchanged(client: Txn, key: string, expectedModRevision: number) {
  return run(
    client,
    key,
    { key, target: 'modRevision', result: 'equal', value: expectedModRevision },
    { deleteRange: { key } },
  );
}

async function run(
  client: Txn,
  key: string,
  compare: { key: string; target: 'modRevision' | 'version'; result: 'equal'; value: number },
  write: { put: { key: string; value: string } } | { deleteRange: { key: string } },
): Promise<CasOutcome> {
  const result: TxnResult = await client.txn({
    compare: [compare],
    success: [write],
    failure: [{ range: { key } }],
  });
  if (result.succeeded) return { ok: true, revision: result.revision };
  const current = result.responses[0]?.range?.kvs[0];
  return { ok: false, current: current === undefined ? null : current };
}
