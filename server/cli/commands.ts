// Every `vane` command, in the order `vane help` lists them.
import {
  authDisableCommand,
  authEnableCommand,
  authStatusCommand,
  roleAddCommand,
  roleDeleteCommand,
  roleGrantCommand,
  roleListCommand,
  roleRevokeCommand,
  tokenCreateCommand,
  tokenRevokeCommand,
} from './auth-commands.ts';
import type { CommandSpec } from './command.ts';
import { compactCommand, delCommand, getCommand, putCommand, txnCommand } from './kv-commands.ts';
import {
  leaseGrantCommand,
  leaseKeepAliveCommand,
  leaseListCommand,
  leaseRevokeCommand,
  leaseTtlCommand,
} from './lease-commands.ts';
import {
  memberAddCommand,
  memberListCommand,
  memberPromoteCommand,
  memberRemoveCommand,
} from './member-commands.ts';
import { serveCommand } from './serve-command.ts';
import { snapshotRestoreCommand, snapshotSaveCommand } from './snapshot-commands.ts';
import { statusCommand } from './status-command.ts';
import { watchCommand } from './watch-command.ts';

export const COMMANDS: readonly CommandSpec[] = [
  serveCommand,
  getCommand,
  putCommand,
  delCommand,
  watchCommand,
  txnCommand,
  compactCommand,
  leaseGrantCommand,
  leaseRevokeCommand,
  leaseKeepAliveCommand,
  leaseListCommand,
  leaseTtlCommand,
  memberListCommand,
  memberAddCommand,
  memberRemoveCommand,
  memberPromoteCommand,
  statusCommand,
  snapshotSaveCommand,
  snapshotRestoreCommand,
  authEnableCommand,
  authDisableCommand,
  authStatusCommand,
  roleAddCommand,
  roleGrantCommand,
  roleRevokeCommand,
  roleListCommand,
  roleDeleteCommand,
  tokenCreateCommand,
  tokenRevokeCommand,
];
