// The one place where requests are checked: a MemberApi that wraps the member for one principal.
// The HTTP routes and the watch WebSocket session both talk to the member only through it, so a
// request is checked the same way whichever way it came. Always (auth enabled or not) it keeps
// clients out of the reserved keys and refuses the leader's internal commands; with auth enabled it
// also requires a valid token within its rate, and the permission each operation needs:
//   range, watch, txn compares and txn ranges: read on every key selected
//   put, delete, txn puts and deletes: write (and read too, with prevKv)
//   lease revoke: write on every key attached to the lease; lease time-to-live with keys: read on them
//   compact, snapshot, membership changes: the admin role
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import type {
  Command,
  CommandResponse,
  KeySelector,
  LeaseListResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  TxnRequest,
  WatchRequest,
} from '../../core/store/index.ts';
import type {
  Health,
  MemberApi,
  MemberInfo,
  MemberStatus,
  ReadOptions,
  ResponseHeader,
  WatchHandle,
  WriteOptions,
} from '../member/index.ts';
import type { Operation } from './policy.ts';
import type { Principal } from './principal.ts';
import { clipSelector } from './reserved.ts';

/** What the wrapper asks of the auth service. */
export interface AccessControl {
  readonly member: MemberApi;
  /** Whether enforcement is on (the replicated enabled flag). */
  readonly enabled: boolean;
  /** Undefined when the principal may make a request now (a valid token, within its rate). */
  admit(principal: Principal | null): VaneError | undefined;
  /** Undefined when the principal may do `operation` on every key of `selector`. */
  checkAccess(
    principal: Principal | null,
    operation: Operation,
    selector: KeySelector,
  ): VaneError | undefined;
  /** Undefined when the principal holds the admin role (or auth is disabled). */
  requireAdmin(principal: Principal | null, what: string): VaneError | undefined;
  /** Registers an open watch so that a later auth change can end it. */
  guardWatch(
    inner: WatchHandle,
    principal: Principal | null,
    selector: KeySelector,
    onReady: () => void,
  ): WatchHandle;
  auditWrite(principal: Principal | null, command: Command, response: CommandResponse): void;
}

export class AuthorizedMember implements MemberApi {
  readonly id: string;
  readonly #access: AccessControl;
  readonly #principal: Principal | null;
  readonly #member: MemberApi;

  constructor(access: AccessControl, principal: Principal | null) {
    this.#access = access;
    this.#principal = principal;
    this.#member = access.member;
    this.id = access.member.id;
  }

  // Cluster facts anyone may see (etcd's member list and status need no permission either).
  header(): ResponseHeader {
    return this.#member.header();
  }

  members(): readonly MemberInfo[] {
    return this.#member.members();
  }

  status(): MemberStatus {
    return this.#member.status();
  }

  health(): Health {
    return this.#member.health();
  }

  async range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse | VaneError> {
    const clipped = clipSelector(request);
    if (isVaneError(clipped)) return clipped;
    const refused = this.#admit() ?? this.#check('read', clipped);
    if (refused) return refused;
    return this.#member.range(clipped, options);
  }

  async write(command: Command, options?: WriteOptions): Promise<CommandResponse | VaneError> {
    const checked = await this.#checkCommand(command);
    if (isVaneError(checked)) return checked;
    const response = await this.#member.write(checked, options);
    if (!isVaneError(response)) this.#access.auditWrite(this.#principal, checked, response);
    return response;
  }

  async leaseTimeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse | VaneError> {
    const refused = this.#admit();
    if (refused) return refused;
    const response = await this.#member.leaseTimeToLive(request);
    if (isVaneError(response) || response.keys === undefined) return response;
    // The attached keys' names are data too: listing them needs read on each.
    for (const key of response.keys) {
      const denied = this.#check('read', { key });
      if (denied) return denied;
    }
    return response;
  }

  async leaseList(): Promise<LeaseListResponse | VaneError> {
    return this.#admit() ?? this.#member.leaseList();
  }

  watch(request: WatchRequest, onReady: () => void): WatchHandle | VaneError {
    const clipped = clipSelector(request);
    if (isVaneError(clipped)) return clipped;
    const refused = this.#admit() ?? this.#check('read', clipped);
    if (refused) return refused;
    const inner = this.#member.watch(clipped, onReady);
    if (isVaneError(inner)) return inner;
    return this.#access.guardWatch(inner, this.#principal, clipped, onReady);
  }

  async snapshot(): Promise<Uint8Array | VaneError> {
    return this.#admitAdmin('taking a snapshot of the whole store') ?? this.#member.snapshot();
  }

  async addMember(
    id: string,
    peerUrl: string,
    options: { learner: boolean },
  ): Promise<MemberInfo[] | VaneError> {
    return this.#admitAdmin('adding a member') ?? this.#member.addMember(id, peerUrl, options);
  }

  async removeMember(id: string): Promise<MemberInfo[] | VaneError> {
    return this.#admitAdmin('removing a member') ?? this.#member.removeMember(id);
  }

  async promoteMember(id: string): Promise<MemberInfo[] | VaneError> {
    return this.#admitAdmin('promoting a member') ?? this.#member.promoteMember(id);
  }

  #admit(): VaneError | undefined {
    return this.#access.admit(this.#principal);
  }

  #admitAdmin(what: string): VaneError | undefined {
    return this.#admit() ?? this.#access.requireAdmin(this.#principal, what);
  }

  #check(operation: Operation, selector: KeySelector): VaneError | undefined {
    return this.#access.checkAccess(this.#principal, operation, selector);
  }

  /** The command as it may be applied (ranges cut off at the reserved keys), or why it may not. */
  async #checkCommand(command: Command): Promise<Command | VaneError> {
    if (command.op === 'leaseCheckpoint') {
      return vaneError(
        'invalidRequest',
        "leaseCheckpoint is the leader's own command; clients cannot send it",
      );
    }
    const refused = this.#admit();
    if (refused) return refused;
    switch (command.op) {
      case 'put': {
        const clipped = clipSelector({ key: command.request.key });
        if (isVaneError(clipped)) return clipped;
        return (
          this.#check('write', clipped) ??
          (command.request.prevKv === true ? this.#check('read', clipped) : undefined) ??
          command
        );
      }
      case 'deleteRange': {
        const clipped = clipSelector(command.request);
        if (isVaneError(clipped)) return clipped;
        const denied =
          this.#check('write', clipped) ??
          (clipped.prevKv === true ? this.#check('read', clipped) : undefined);
        return denied ?? { op: 'deleteRange', request: clipped };
      }
      case 'txn': {
        const txn = this.#checkTxn(command.request);
        return isVaneError(txn) ? txn : { op: 'txn', request: txn };
      }
      case 'compact':
        return this.#access.requireAdmin(this.#principal, 'compacting the history of every key') ?? command;
      case 'leaseRevoke':
        return (await this.#checkLeaseRevoke(command.request.id)) ?? command;
      case 'leaseGrant':
      case 'leaseKeepAlive':
        return command;
    }
  }

  /** Every branch is checked, not only the one that will run: which one runs is not known yet. */
  #checkTxn(txn: TxnRequest): TxnRequest | VaneError {
    const compare = [];
    for (const c of txn.compare) {
      const clipped = clipSelector(c);
      if (isVaneError(clipped)) return clipped;
      const denied = this.#check('read', clipped);
      if (denied) return denied;
      compare.push(clipped);
    }
    const success = this.#checkOps(txn.success);
    if (isVaneError(success)) return success;
    const failure = this.#checkOps(txn.failure);
    if (isVaneError(failure)) return failure;
    return { compare, success, failure };
  }

  #checkOps(ops: readonly RequestOp[]): RequestOp[] | VaneError {
    const checked: RequestOp[] = [];
    for (const op of ops) {
      const one = this.#checkOp(op);
      if (isVaneError(one)) return one;
      checked.push(one);
    }
    return checked;
  }

  #checkOp(op: RequestOp): RequestOp | VaneError {
    if ('txn' in op) {
      const txn = this.#checkTxn(op.txn);
      return isVaneError(txn) ? txn : { txn };
    }
    if ('range' in op) {
      const clipped = clipSelector(op.range);
      if (isVaneError(clipped)) return clipped;
      return this.#check('read', clipped) ?? { range: clipped };
    }
    if ('put' in op) {
      const clipped = clipSelector({ key: op.put.key });
      if (isVaneError(clipped)) return clipped;
      return (
        this.#check('write', clipped) ??
        (op.put.prevKv === true ? this.#check('read', clipped) : undefined) ??
        op
      );
    }
    const clipped = clipSelector(op.deleteRange);
    if (isVaneError(clipped)) return clipped;
    return (
      this.#check('write', clipped) ??
      (clipped.prevKv === true ? this.#check('read', clipped) : undefined) ?? { deleteRange: clipped }
    );
  }

  /** Revoking a lease deletes its keys: the principal must be allowed to delete each of them. */
  async #checkLeaseRevoke(id: number): Promise<VaneError | undefined> {
    if (!this.#access.enabled) return undefined;
    const lease = await this.#member.leaseTimeToLive({ id, keys: true });
    if (isVaneError(lease)) return lease;
    for (const key of lease.keys ?? []) {
      const denied = this.#check('write', { key });
      if (denied) return denied;
    }
    return undefined;
  }
}
