// The cluster's member list as the replicated log defines it: ids and peer URLs from applied
// membership changes, client URLs from applied attribute entries. Voter/learner status comes from
// Raft's ConfState. Saved inside every snapshot so a member restored from one knows its peers.
import type { ConfState, NodeId } from '../../core/raft/types.ts';
import type { MemberInfo } from './api.ts';

export interface MemberAddresses {
  readonly peerUrl: string;
  readonly clientUrl: string;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export class MembersTable {
  private readonly byId = new Map<NodeId, MemberAddresses>();

  set(id: NodeId, peerUrl: string): void {
    this.byId.set(id, { peerUrl, clientUrl: this.byId.get(id)?.clientUrl ?? '' });
  }

  setClientUrl(id: NodeId, clientUrl: string): void {
    const current = this.byId.get(id);
    if (current) this.byId.set(id, { ...current, clientUrl });
  }

  remove(id: NodeId): void {
    this.byId.delete(id);
  }

  get(id: NodeId): MemberAddresses | undefined {
    return this.byId.get(id);
  }

  has(id: NodeId): boolean {
    return this.byId.has(id);
  }

  /** Members in id order, with learner status from the Raft configuration. */
  list(conf: ConfState): MemberInfo[] {
    const learners = new Set([...conf.learners, ...conf.learnersNext]);
    return [...this.byId.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, addr]) => ({
        id,
        peerUrl: addr.peerUrl,
        clientUrl: addr.clientUrl,
        isLearner: learners.has(id),
      }));
  }

  peerUrls(except: NodeId): Map<NodeId, string> {
    const peers = new Map<NodeId, string>();
    for (const [id, addr] of this.byId) if (id !== except) peers.set(id, addr.peerUrl);
    return peers;
  }

  encode(): Uint8Array {
    const rows = [...this.byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return utf8.encode(JSON.stringify(rows));
  }

  static decode(bytes: Uint8Array): MembersTable | string {
    const table = new MembersTable();
    try {
      const rows: unknown = JSON.parse(fromUtf8.decode(bytes));
      if (!Array.isArray(rows)) return 'members table: expected an array';
      for (const row of rows) {
        const [id, addr] = row as [unknown, { peerUrl?: unknown; clientUrl?: unknown }];
        if (
          typeof id !== 'string' ||
          typeof addr?.peerUrl !== 'string' ||
          typeof addr.clientUrl !== 'string'
        ) {
          return 'members table: bad row';
        }
        table.byId.set(id, { peerUrl: addr.peerUrl, clientUrl: addr.clientUrl });
      }
    } catch (error) {
      return `members table: ${String(error)}`;
    }
    return table;
  }
}

/** A member snapshot: the members table and the store's own snapshot, length-prefixed. */
export function encodeMemberSnapshot(members: MembersTable, store: Uint8Array): Uint8Array {
  const table = members.encode();
  const out = new Uint8Array(4 + table.length + store.length);
  new DataView(out.buffer).setUint32(0, table.length);
  out.set(table, 4);
  out.set(store, 4 + table.length);
  return out;
}

export function decodeMemberSnapshot(
  data: Uint8Array,
): { members: MembersTable; store: Uint8Array } | string {
  if (data.length < 4) return `member snapshot: ${data.length} bytes is too short`;
  const tableLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  if (4 + tableLength > data.length) return `member snapshot: table length ${tableLength} exceeds the data`;
  const members = MembersTable.decode(data.subarray(4, 4 + tableLength));
  if (typeof members === 'string') return members;
  return { members, store: data.subarray(4 + tableLength) };
}

/** ConfChange.context for an added member. */
export function encodeConfContext(peerUrl: string): Uint8Array {
  return utf8.encode(JSON.stringify({ peerUrl }));
}

export function decodeConfContext(context: Uint8Array | undefined): { peerUrl: string } | null {
  if (!context || context.length === 0) return null;
  try {
    const parsed: unknown = JSON.parse(fromUtf8.decode(context));
    const peerUrl = (parsed as { peerUrl?: unknown })?.peerUrl;
    return typeof peerUrl === 'string' ? { peerUrl } : null;
  } catch {
    return null;
  }
}
