// A Vane member: the Raft loop around the store and the WAL (member.ts), and what the client API
// needs from it (api.ts).
export type * from './api.ts';
export { Member, type MemberDeps, VANE_VERSION } from './member.ts';
export {
  decodeMemberSnapshot,
  encodeMemberSnapshot,
  MembersTable,
} from './members-table.ts';
export { watchStore } from './watch-handle.ts';
