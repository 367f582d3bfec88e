// The audit log: one structured line (`"audit": true`) per write a client made while auth is on and per auth change,
// saying who (the token's subject and id), what (keys, range, role, token) and at which revision.
// Lines go through the member's logger at info level, so they land in the same stream as its other
// logs and can be picked out with e.g. `jq 'select(.audit)'`.
import type {
  Command,
  CommandResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../core/store/index.ts';
import type { Logger } from '../log.ts';
import type { Principal } from './principal.ts';
import { printable } from './reserved.ts';

/** Keys listed in one txn's audit line; more are counted. */
export const MAX_AUDITED_TXN_WRITES = 32;

export type AuthAction =
  | 'auth.enable'
  | 'auth.disable'
  | 'role.add'
  | 'role.delete'
  | 'role.grant'
  | 'role.revoke'
  | 'token.create'
  | 'token.revoke'
  | 'key.publish';

interface AuditedWrite {
  readonly op: 'put' | 'deleteRange';
  readonly key: string;
  readonly rangeEnd?: string;
}

export class AuditLog {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger.child({ audit: true });
  }

  write(principal: Principal | null, command: Command, response: CommandResponse): void {
    const fields = describeCommand(command, response);
    if (fields === undefined) return;
    this.#logger.info({ ...who(principal), ...fields, revision: response.revision }, 'write');
  }

  authChange(
    principal: Principal | null,
    action: AuthAction,
    revision: number,
    fields: Readonly<Record<string, unknown>> = {},
  ): void {
    this.#logger.info({ ...who(principal), action, ...fields, revision }, 'auth change');
  }
}

function who(principal: Principal | null): { subject: string | null; tokenId?: string } {
  return principal === null ? { subject: null } : { subject: principal.subject, tokenId: principal.tokenId };
}

/** What a command changed, for its audit line; undefined for commands that change no key or lease. */
function describeCommand(
  command: Command,
  response: CommandResponse,
): Readonly<Record<string, unknown>> | undefined {
  switch (command.op) {
    case 'put':
      return { op: 'put', key: printable(command.request.key), lease: command.request.lease ?? 0 };
    case 'deleteRange': {
      const { key, rangeEnd } = command.request;
      const deleted = (response as { deleted?: number }).deleted ?? 0;
      return rangeEnd === undefined
        ? { op: 'deleteRange', key: printable(key), deleted }
        : { op: 'deleteRange', key: printable(key), rangeEnd: printable(rangeEnd), deleted };
    }
    case 'txn': {
      const txn = response as TxnResponse;
      const writes: AuditedWrite[] = [];
      collectTxnWrites(command.request, txn, writes);
      const listed = writes.slice(0, MAX_AUDITED_TXN_WRITES);
      return {
        op: 'txn',
        succeeded: txn.succeeded,
        writes: listed,
        ...(writes.length > listed.length ? { unlistedWrites: writes.length - listed.length } : {}),
      };
    }
    case 'compact':
      return { op: 'compact', compactRevision: command.request.revision };
    case 'leaseGrant':
      return { op: 'leaseGrant', lease: (response as { id?: number }).id ?? 0, ttl: command.request.ttl };
    case 'leaseRevoke':
      return { op: 'leaseRevoke', lease: command.request.id };
    // A keepalive extends a lease and writes no key; checkpoints are the leader's own.
    case 'leaseKeepAlive':
    case 'leaseCheckpoint':
      return undefined;
  }
}

/** The puts and deletes of the branches the txn (and its nested txns) took. */
function collectTxnWrites(request: TxnRequest, response: TxnResponse, out: AuditedWrite[]): void {
  const ops = response.succeeded ? request.success : request.failure;
  ops.forEach((op: RequestOp, i) => {
    if ('put' in op) out.push({ op: 'put', key: printable(op.put.key) });
    else if ('deleteRange' in op) {
      const { key, rangeEnd } = op.deleteRange;
      out.push(
        rangeEnd === undefined
          ? { op: 'deleteRange', key: printable(key) }
          : { op: 'deleteRange', key: printable(key), rangeEnd: printable(rangeEnd) },
      );
    } else if ('txn' in op) {
      const nested = response.responses[i] as ResponseOp | undefined;
      if (nested !== undefined && 'txn' in nested) collectTxnWrites(op.txn, nested.txn, out);
    }
  });
}
