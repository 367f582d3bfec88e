// The Raft core: a deterministic state machine driven by ticks, messages and local requests, read
// out as Ready batches (see Ready in types.ts for the contract).
export type { ProgressState, ProgressStatus, RaftNode, RaftStatus } from './api.ts';
export {
  decodeConfChange,
  encodeConfChange,
  MAX_CONF_CHANGE_CONTEXT_BYTES,
  MAX_CONF_CHANGES,
  MAX_NODE_ID_BYTES,
} from './conf-change-codec.ts';
export { defaultRaftConfig } from './config.ts';
export { ENTRY_OVERHEAD_BYTES, entrySize } from './entry-size.ts';
export { DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS } from './raft.ts';
export { MAX_PROPOSAL_BYTES, RawNode } from './rawnode.ts';
export { MemoryStorage } from './storage.ts';
export * from './types.ts';
