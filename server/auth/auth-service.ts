// Auth on one member: follows the replicated auth state (a watch on the reserved auth keys), turns
// tokens into principals, checks requests (through AuthorizedMember, see authorize()), ends watches
// an auth change no longer allows, and makes the auth changes themselves — each one a write of
// reserved keys through Raft, so that every member applies it at the same point of the log.
import { decodeJwt, importJWK } from 'jose';
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import {
  type Command,
  type CommandResponse,
  type KeySelector,
  prefixEnd,
  type RequestOp,
  type TxnResponse,
} from '../../core/store/index.ts';
import type { Logger } from '../log.ts';
import type { MemberApi, WatchHandle } from '../member/index.ts';
import { AuditLog } from './audit.ts';
import {
  AUTH_KEYS,
  AuthState,
  ENABLED_VALUE,
  encodePublicJwk,
  encodeRevoked,
  encodeRoleValue,
  type PublicJwk,
} from './auth-state.ts';
import { type AccessControl, AuthorizedMember } from './authorized-member.ts';
import { GuardedWatches } from './guarded-watches.ts';
import { checkAccess, grantsOf, type Operation } from './policy.ts';
import { describePrincipal, type Principal } from './principal.ts';
import { type RateLimit, TokenRateLimiter } from './rate-limiter.ts';
import { AUTH_PREFIX, printable } from './reserved.ts';
import {
  type Access,
  ADMIN_ROLE,
  checkPrefix,
  checkRoleName,
  MAX_ROLES,
  type Role,
  withGrant,
  withoutGrant,
} from './roles.ts';
import type { SigningKey } from './signing-key.ts';
import {
  MAX_SUBJECT_BYTES,
  MAX_TOKEN_GRANTS,
  newTokenId,
  signToken,
  TOKEN_ISSUER,
  verifyToken,
} from './tokens.ts';

/** Longest lifetime of a token with roles (and of the admin token `auth enable` answers with). */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** Longest lifetime of a read-only prefix token (a browser token): they are meant to be short-lived. */
export const MAX_READ_TOKEN_TTL_SECONDS = 24 * 3600;
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
export const DEFAULT_READ_TOKEN_TTL_SECONDS = 15 * 60;
/** Revoked tokens remembered at once (each until it would have expired). */
export const MAX_REVOKED_TOKENS = 10_000;
/** Members' verification keys the cluster holds (one per member that ever issued a token). */
export const MAX_VERIFICATION_KEYS = 256;
/** Verified tokens kept, so a token's signature is checked once rather than on every request. */
export const MAX_CACHED_TOKENS = 10_000;
/** How often open watches are checked for tokens that expired. */
export const EXPIRY_SWEEP_MS = 1000;
/** Responses taken from the auth-state watch per turn. */
const FOLLOW_BATCH = 256;
/** Attempts of a read-modify-write of a role when other changes keep winning the race. */
const ROLE_UPDATE_ATTEMPTS = 5;
/** How long an auth change waits for this member's view to reflect it. */
const CATCH_UP_TIMEOUT_MS = 5000;
/** How long, at most, and how often startup looks whether the committed log has been applied. */
const STARTUP_APPLY_WAIT_MS = 5000;
const STARTUP_APPLY_POLL_MS = 10;
/** Revocations that expired, dropped while recording a new one. */
const PRUNE_BATCH = 64;

export interface AuthClock {
  /** Wall-clock milliseconds since the epoch: token times are wall-clock times. */
  now(): number;
  /** Runs `task` every `ms` until the returned function is called. */
  every(ms: number, task: () => void): () => void;
}

export const systemAuthClock: AuthClock = {
  now: () => Date.now(),
  every: (ms, task) => {
    const timer = setInterval(task, ms);
    return () => clearInterval(timer);
  },
};

export interface AuthServiceOptions {
  /** The member itself, unchecked: the service reads and writes the reserved keys through it. */
  readonly member: MemberApi;
  /** Tokens name it as their audience, so one cluster's tokens are refused by another. */
  readonly clusterId: string;
  /** This member's signing key; called when it first issues a token (it may create the key). */
  readonly loadSigningKey: () => Promise<SigningKey>;
  readonly logger: Logger;
  /** Per-token request rate; absent = unlimited. */
  readonly rateLimit?: RateLimit;
  readonly clock?: AuthClock;
}

/** The public keys tokens are verified with, each named by the kid in tokens' headers. */
export interface TokenVerification {
  readonly enabled: boolean;
  readonly issuer: string;
  readonly audience: string;
  readonly keys: readonly (PublicJwk & { readonly kid: string })[];
}

export interface IssuedToken {
  readonly token: string;
  readonly principal: Principal;
  readonly revision: number;
}

export interface TokenRequest {
  readonly roles?: readonly string[];
  readonly readPrefixes?: readonly string[];
  readonly ttlSeconds?: number;
  readonly subject?: string;
}

export class AuthService implements AccessControl {
  readonly member: MemberApi;
  readonly state = new AuthState();
  readonly #options: AuthServiceOptions;
  readonly #clock: AuthClock;
  readonly #logger: Logger;
  readonly #audit: AuditLog;
  readonly #watches = new GuardedWatches();
  readonly #limiter: TokenRateLimiter | null;
  readonly #verified = new Map<string, Principal>();
  readonly #verificationKeys = new Map<string, CryptoKey>();
  readonly #catchUpWaiters = new Set<{ revision: number; resolve: () => void }>();
  #signingKey: Promise<SigningKey> | undefined;
  #follow: WatchHandle | null = null;
  #followScheduled = false;
  #stopped = false;
  readonly #stopSweep: () => void;

  private constructor(options: AuthServiceOptions) {
    this.#options = options;
    this.member = options.member;
    this.#clock = options.clock ?? systemAuthClock;
    this.#logger = options.logger;
    this.#audit = new AuditLog(options.logger);
    this.#limiter = options.rateLimit === undefined ? null : new TokenRateLimiter(options.rateLimit);
    this.#stopSweep = this.#clock.every(EXPIRY_SWEEP_MS, () => this.#sweepExpired());
  }

  /** Reads the auth state from the member's store and follows it from there on. */
  static async start(options: AuthServiceOptions): Promise<AuthService> {
    await appliedWhatItCommitted(options.member, options.logger);
    const service = new AuthService(options);
    const loaded = await service.#load();
    if (loaded) {
      service.stop();
      throw new Error(`auth: could not read the auth state: ${loaded.message}`);
    }
    return service;
  }

  stop(): void {
    this.#stopped = true;
    this.#stopSweep();
    this.#follow?.cancel();
    this.#follow = null;
    for (const waiter of this.#catchUpWaiters) waiter.resolve();
    this.#catchUpWaiters.clear();
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  /** The member as `principal` may use it: every request checked (see AuthorizedMember). */
  authorize(principal: Principal | null): MemberApi {
    return new AuthorizedMember(this, principal);
  }

  // ---- following the replicated state ----

  async #load(): Promise<VaneError | undefined> {
    const listed = await this.member.range(
      { key: AUTH_PREFIX, rangeEnd: prefixEnd(AUTH_PREFIX) },
      { serializable: true },
    );
    if (isVaneError(listed)) return listed;
    if (this.#stopped) return undefined;
    this.state.enabled = false;
    this.state.keys.clear();
    this.state.roles.clear();
    this.state.revoked.clear();
    for (const problem of this.state.applyAll(listed.kvs))
      this.#logger.error(problem, 'auth state value ignored');
    this.state.revision = listed.revision;
    const follow = this.member.watch(
      { key: AUTH_PREFIX, rangeEnd: prefixEnd(AUTH_PREFIX), startRevision: listed.revision + 1 },
      () => this.#scheduleFollow(),
    );
    if (isVaneError(follow)) return follow;
    this.#follow = follow;
    this.#changed();
    this.#scheduleFollow();
    return undefined;
  }

  // The store calls onReady from inside apply, where no more work may happen: take() comes after.
  #scheduleFollow(): void {
    if (this.#followScheduled || this.#stopped) return;
    this.#followScheduled = true;
    queueMicrotask(() => {
      this.#followScheduled = false;
      this.#takeChanges();
    });
  }

  #takeChanges(): void {
    const follow = this.#follow;
    if (follow === null || this.#stopped) return;
    let changed = false;
    for (const response of follow.take(FOLLOW_BATCH)) {
      if (response.canceled === true) {
        // Compacted past this view (a snapshot replaced the store): read the state afresh.
        this.#logger.warn(
          { reason: response.cancelReason },
          'auth state watch ended; reloading the auth state',
        );
        this.#follow = null;
        void this.#load().then((error) => {
          if (error) this.#logger.error({ error }, 'auth state reload failed');
        });
        return;
      }
      for (const event of response.events) {
        const problem = this.state.apply(event.kv.key, event.type === 'put' ? event.kv.value : null);
        if (problem) this.#logger.error(problem, 'auth state value ignored');
        changed = true;
      }
      this.state.revision = Math.max(this.state.revision, response.revision);
    }
    if (changed) this.#changed();
    for (const waiter of this.#catchUpWaiters) {
      if (this.state.revision >= waiter.revision) {
        this.#catchUpWaiters.delete(waiter);
        waiter.resolve();
      }
    }
    if (follow.ready) this.#scheduleFollow();
  }

  /** Auth changed: watches it no longer allows end now. */
  #changed(): void {
    const ended = this.#watches.recheck(
      (principal, selector) => this.#watchVerdict(principal, selector),
      this.member.header().revision,
    );
    if (ended > 0) this.#logger.info({ ended }, 'watches ended by an auth change');
  }

  #sweepExpired(): void {
    if (!this.state.enabled) return;
    const now = this.#clock.now();
    for (const [token, principal] of this.#verified) {
      if (principal.expiresAt <= now) this.#verified.delete(token);
    }
    if (this.#watches.size > 0) this.#changed();
  }

  #watchVerdict(principal: Principal | null, selector: KeySelector): VaneError | undefined {
    if (!this.state.enabled) return undefined;
    if (principal === null) {
      return vaneError(
        'unauthenticated',
        'auth was enabled: watches need a token now; reconnect with one (?token= or the vane.token.<token> subprotocol)',
      );
    }
    return this.#tokenProblem(principal) ?? this.checkAccess(principal, 'read', selector);
  }

  /** Resolves once this member's view reflects `revision` (an auth change just applied here). */
  async #caughtUp(revision: number): Promise<void> {
    if (this.state.revision >= revision || this.#stopped) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      const waiter = { revision, resolve };
      this.#catchUpWaiters.add(waiter);
      timer = setTimeout(() => {
        if (!this.#catchUpWaiters.delete(waiter)) return;
        this.#logger.warn({ revision, at: this.state.revision }, 'auth state did not catch up in time');
        resolve();
      }, CATCH_UP_TIMEOUT_MS);
    });
    clearTimeout(timer);
  }

  // ---- authentication ----

  /**
   * The principal a request's token stands for. Null without a token, and for every request while
   * auth is disabled (tokens are not looked at then); an error for a token that is not good.
   */
  async authenticate(token: string | undefined): Promise<Principal | null | VaneError> {
    if (!this.state.enabled || token === undefined) return null;
    let principal = this.#verified.get(token);
    if (principal === undefined) {
      const verified = await verifyToken(token, (kid) => this.#verificationKey(kid), {
        audience: this.#options.clusterId,
        now: this.#clock.now(),
      });
      if (isVaneError(verified)) return verified;
      principal = verified;
      if (this.#verified.size >= MAX_CACHED_TOKENS) {
        const oldest = this.#verified.keys().next().value;
        if (oldest !== undefined) this.#verified.delete(oldest);
      }
      this.#verified.set(token, principal);
    }
    return this.#tokenProblem(principal) ?? principal;
  }

  /** A token this member verified once is still refused once it expired or was revoked. */
  #tokenProblem(principal: Principal): VaneError | undefined {
    const now = this.#clock.now();
    if (principal.expiresAt <= now) {
      return vaneError(
        'unauthenticated',
        `the token of '${principal.subject}' expired at ${new Date(principal.expiresAt).toISOString()}; ask for a new one (vane token create)`,
        { tokenId: principal.tokenId },
      );
    }
    if (this.state.revoked.has(principal.tokenId)) {
      return vaneError(
        'unauthenticated',
        `the token of '${principal.subject}' (id ${principal.tokenId}) was revoked`,
        { tokenId: principal.tokenId },
      );
    }
    return undefined;
  }

  async #verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const known = this.#verificationKeys.get(kid);
    if (known !== undefined) return known;
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(kid)) return undefined;
    let jwk = this.state.keys.get(kid);
    if (jwk === undefined) {
      // Another member may have published it a moment ago: a linearizable read catches this one up.
      const read = await this.member.range({ key: AUTH_KEYS.key(kid) });
      if (isVaneError(read) || read.kvs.length === 0) return undefined;
      const probe = new AuthState();
      if (probe.apply(read.kvs[0]!.key, read.kvs[0]!.value)) return undefined;
      jwk = probe.keys.get(kid);
      if (jwk === undefined) return undefined;
    }
    try {
      const key = (await importJWK({ ...jwk }, 'EdDSA')) as CryptoKey;
      this.#verificationKeys.set(kid, key);
      return key;
    } catch (error) {
      this.#logger.error({ kid, err: error }, 'verification key cannot be imported');
      return undefined;
    }
  }

  // ---- AccessControl (the checks AuthorizedMember makes) ----

  admit(principal: Principal | null): VaneError | undefined {
    if (!this.state.enabled) return undefined;
    if (principal === null) {
      return vaneError(
        'unauthenticated',
        'auth is enabled: send a token (Authorization: Bearer <token>; on the watch WebSocket, ?token= or the vane.token.<token> subprotocol)',
      );
    }
    const problem = this.#tokenProblem(principal);
    if (problem) return problem;
    if (this.#limiter === null) return undefined;
    const waitMs = this.#limiter.take(principal.tokenId, this.#clock.now());
    if (waitMs === undefined) return undefined;
    const { perSecond, burst } = this.#limiter.limit;
    return vaneError(
      'rateLimited',
      `the token of '${principal.subject}' exceeded its request rate limit of ${perSecond} requests/s (burst ${burst}; --token-rate-limit); retry in ${waitMs} ms`,
      { limit: 'tokenRateLimit', maximum: perSecond, burst, retryAfterMs: waitMs },
    );
  }

  checkAccess(
    principal: Principal | null,
    operation: Operation,
    selector: KeySelector,
  ): VaneError | undefined {
    if (!this.state.enabled || principal === null) return undefined;
    return checkAccess(principal, grantsOf(principal, this.state.roles), operation, selector);
  }

  requireAdmin(principal: Principal | null, what: string): VaneError | undefined {
    if (!this.state.enabled) return undefined;
    if (principal?.roles.includes(ADMIN_ROLE)) return undefined;
    return vaneError(
      'permissionDenied',
      `${what} needs the admin role; ${describePrincipal(principal)} lacks it`,
    );
  }

  guardWatch(
    inner: WatchHandle,
    principal: Principal | null,
    selector: KeySelector,
    onReady: () => void,
  ): WatchHandle {
    return this.#watches.guard(inner, principal, selector, onReady);
  }

  /** With auth off no write has an author to name, and a line per write costs ~3% of a member's CPU under load. */
  auditWrite(principal: Principal | null, command: Command, response: CommandResponse): void {
    if (this.state.enabled) this.#audit.write(principal, command, response);
  }

  // ---- auth changes ----

  /** Turns auth on and answers with an admin token (the only way to get the first one). */
  async enable(
    caller: Principal | null,
    request: { readonly subject?: string; readonly ttlSeconds?: number },
  ): Promise<IssuedToken | VaneError> {
    if (this.state.enabled) {
      return vaneError(
        'invalidRequest',
        'auth is already enabled; an admin creates more tokens with `vane token create`',
      );
    }
    const ttl = request.ttlSeconds ?? MAX_TOKEN_TTL_SECONDS;
    const invalid = checkTtl(ttl, MAX_TOKEN_TTL_SECONDS) ?? checkSubject(request.subject);
    if (invalid) return invalid;
    const key = await this.#ownSigningKey();
    if (isVaneError(key)) return key;
    const puts: RequestOp[] = [{ put: { key: AUTH_KEYS.enabled, value: ENABLED_VALUE } }];
    if (!this.state.keys.has(key.kid)) {
      puts.push({ put: { key: AUTH_KEYS.key(key.kid), value: encodePublicJwk(key.publicJwk) } });
    }
    const written = await this.#writeAuth({
      op: 'txn',
      request: { compare: [], success: puts, failure: [] },
    });
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'auth.enable', written, { kid: key.kid });
    return this.#issue(caller, key, {
      subject: request.subject ?? 'root',
      tokenId: newTokenId(),
      roles: [ADMIN_ROLE],
      readPrefixes: [],
      expiresAt: this.#clock.now() + ttl * 1000,
    });
  }

  async disable(caller: Principal | null): Promise<number | VaneError> {
    const refused = this.#admitAdmin(caller, 'disabling auth');
    if (refused) return refused;
    if (!this.state.enabled) return vaneError('invalidRequest', 'auth is already disabled');
    const written = await this.#writeAuth({ op: 'deleteRange', request: { key: AUTH_KEYS.enabled } });
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'auth.disable', written);
    return written;
  }

  listRoles(caller: Principal | null): Role[] | VaneError {
    const refused = this.#admitAdmin(caller, 'listing roles');
    if (refused) return refused;
    return [...this.state.roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async addRole(caller: Principal | null, name: string): Promise<number | VaneError> {
    const refused = this.#admitAdmin(caller, 'adding a role') ?? checkRoleName(name) ?? builtinRole(name);
    if (refused) return refused;
    if (this.state.roles.size >= MAX_ROLES) {
      return vaneError(
        'invalidRequest',
        `the cluster already has ${MAX_ROLES} roles (maxRoles); delete one first`,
        {
          limit: 'maxRoles',
          maximum: MAX_ROLES,
        },
      );
    }
    const key = AUTH_KEYS.role(name);
    const written = await this.#writeAuth(
      {
        op: 'txn',
        request: {
          compare: [{ key, target: 'createRevision', result: 'equal', value: 0 }],
          success: [{ put: { key, value: encodeRoleValue({ name, permissions: [] }) } }],
          failure: [],
        },
      },
      `role '${name}' already exists`,
    );
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'role.add', written, { role: name });
    return written;
  }

  async deleteRole(caller: Principal | null, name: string): Promise<number | VaneError> {
    const refused = this.#admitAdmin(caller, 'deleting a role') ?? checkRoleName(name) ?? builtinRole(name);
    if (refused) return refused;
    const key = AUTH_KEYS.role(name);
    const written = await this.#writeAuth(
      {
        op: 'txn',
        request: {
          compare: [{ key, target: 'createRevision', result: 'greater', value: 0 }],
          success: [{ deleteRange: { key } }],
          failure: [],
        },
      },
      `role '${name}' does not exist`,
    );
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'role.delete', written, { role: name });
    return written;
  }

  async grant(
    caller: Principal | null,
    name: string,
    permission: { readonly prefix: string; readonly access: Access },
  ): Promise<number | VaneError> {
    const refused = this.#admitAdmin(caller, 'granting a permission') ?? builtinRole(name);
    if (refused) return refused;
    const written = await this.#updateRole(name, (role) => withGrant(role, permission));
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'role.grant', written, {
      role: name,
      prefix: printable(permission.prefix),
      access: permission.access,
    });
    return written;
  }

  async revoke(caller: Principal | null, name: string, prefix: string): Promise<number | VaneError> {
    const refused = this.#admitAdmin(caller, 'revoking a permission') ?? builtinRole(name);
    if (refused) return refused;
    const written = await this.#updateRole(name, (role) => withoutGrant(role, prefix));
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'role.revoke', written, { role: name, prefix: printable(prefix) });
    return written;
  }

  async createToken(caller: Principal | null, request: TokenRequest): Promise<IssuedToken | VaneError> {
    const refused = this.#admitAdmin(caller, 'creating a token');
    if (refused) return refused;
    if (!this.state.enabled) {
      return vaneError(
        'invalidRequest',
        'auth is disabled, so tokens would not be checked; run `vane auth enable` first',
      );
    }
    const roles = [...new Set(request.roles ?? [])];
    const readPrefixes = [...new Set(request.readPrefixes ?? [])];
    if (roles.length === 0 && readPrefixes.length === 0) {
      return vaneError(
        'invalidRequest',
        'a token needs at least one role or read prefix (--role, --read-prefix)',
      );
    }
    if (roles.length > MAX_TOKEN_GRANTS || readPrefixes.length > MAX_TOKEN_GRANTS) {
      return vaneError(
        'invalidRequest',
        `a token carries at most ${MAX_TOKEN_GRANTS} roles and ${MAX_TOKEN_GRANTS} prefixes`,
        {
          limit: 'maxTokenGrants',
          maximum: MAX_TOKEN_GRANTS,
        },
      );
    }
    for (const role of roles) {
      const invalid = checkRoleName(role);
      if (invalid) return invalid;
      if (role !== ADMIN_ROLE && !this.state.roles.has(role)) {
        return vaneError('invalidRequest', `role '${role}' does not exist (vane role add ${role})`);
      }
    }
    for (const prefix of readPrefixes) {
      const invalid = checkPrefix(prefix);
      if (invalid) return invalid;
    }
    // Only the read-only kind handed to browsers is meant to be short-lived.
    const readOnly = roles.length === 0;
    const maxTtl = readOnly ? MAX_READ_TOKEN_TTL_SECONDS : MAX_TOKEN_TTL_SECONDS;
    const ttl = request.ttlSeconds ?? (readOnly ? DEFAULT_READ_TOKEN_TTL_SECONDS : DEFAULT_TOKEN_TTL_SECONDS);
    const invalid = checkTtl(ttl, maxTtl) ?? checkSubject(request.subject);
    if (invalid) return invalid;
    const key = await this.#publishedSigningKey(caller);
    if (isVaneError(key)) return key;
    const subject =
      request.subject ??
      (readOnly ? `read:${readPrefixes.join(',')}` : `role:${roles.join(',')}`).slice(0, MAX_SUBJECT_BYTES);
    return this.#issue(caller, key, {
      subject,
      tokenId: newTokenId(),
      roles,
      readPrefixes,
      expiresAt: this.#clock.now() + ttl * 1000,
    });
  }

  /** Revokes a token by its id, or by the token itself (which says how long to remember it). */
  async revokeToken(
    caller: Principal | null,
    request: { readonly tokenId: string } | { readonly token: string },
  ): Promise<{ tokenId: string; revision: number } | VaneError> {
    const refused = this.#admitAdmin(caller, 'revoking a token');
    if (refused) return refused;
    const now = this.#clock.now();
    let tokenId: string;
    // Without the token's own expiry, it is remembered as long as any token can live.
    let until = now + MAX_TOKEN_TTL_SECONDS * 1000;
    if ('token' in request) {
      let claims: { jti?: unknown; exp?: unknown };
      try {
        claims = decodeJwt(request.token);
      } catch {
        return vaneError('invalidRequest', 'token: not a JWT; give the token, or its id');
      }
      if (typeof claims.jti !== 'string' || claims.jti === '') {
        return vaneError('invalidRequest', 'token: it has no id (jti), so it is not a Vane token');
      }
      tokenId = claims.jti;
      if (typeof claims.exp === 'number') until = Math.min(until, claims.exp * 1000);
    } else tokenId = request.tokenId;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tokenId)) {
      return vaneError('invalidRequest', `token id '${printable(tokenId)}' is not one Vane issues`);
    }
    const expired = [...this.state.revoked].filter(([, at]) => at <= now).slice(0, PRUNE_BATCH);
    if (this.state.revoked.size - expired.length >= MAX_REVOKED_TOKENS && !this.state.revoked.has(tokenId)) {
      return vaneError(
        'invalidRequest',
        `${MAX_REVOKED_TOKENS} revoked tokens have not expired yet (maxRevokedTokens); issue shorter-lived tokens`,
        { limit: 'maxRevokedTokens', maximum: MAX_REVOKED_TOKENS },
      );
    }
    const ops: RequestOp[] = [
      ...expired.map(([id]): RequestOp => ({ deleteRange: { key: AUTH_KEYS.revoked(id) } })),
      { put: { key: AUTH_KEYS.revoked(tokenId), value: encodeRevoked(until) } },
    ];
    const written = await this.#writeAuth({ op: 'txn', request: { compare: [], success: ops, failure: [] } });
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'token.revoke', written, {
      revokedTokenId: tokenId,
      until: new Date(until).toISOString(),
    });
    return { tokenId, revision: written };
  }

  #admitAdmin(caller: Principal | null, what: string): VaneError | undefined {
    return this.admit(caller) ?? this.requireAdmin(caller, what);
  }

  async #issue(caller: Principal | null, key: SigningKey, principal: Principal): Promise<IssuedToken> {
    const token = await signToken(key, principal, {
      audience: this.#options.clusterId,
      issuedAt: this.#clock.now(),
    });
    const revision = this.member.header().revision;
    this.#audit.authChange(caller, 'token.create', revision, {
      tokenSubject: principal.subject,
      createdTokenId: principal.tokenId,
      roles: principal.roles,
      readPrefixes: principal.readPrefixes.map(printable),
      expiresAt: new Date(principal.expiresAt).toISOString(),
      kid: key.kid,
    });
    return { token, principal, revision };
  }

  async #ownSigningKey(): Promise<SigningKey | VaneError> {
    this.#signingKey ??= this.#options.loadSigningKey();
    try {
      return await this.#signingKey;
    } catch (error) {
      this.#signingKey = undefined;
      this.#logger.error({ err: error }, 'signing key unavailable');
      return vaneError(
        'unavailable',
        `this member cannot sign tokens: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** This member's key, published to the replicated key set first if it is not there yet. */
  async #publishedSigningKey(caller: Principal | null): Promise<SigningKey | VaneError> {
    const key = await this.#ownSigningKey();
    if (isVaneError(key) || this.state.keys.has(key.kid)) return key;
    if (this.state.keys.size >= MAX_VERIFICATION_KEYS) {
      return vaneError(
        'unavailable',
        `the cluster holds ${MAX_VERIFICATION_KEYS} verification keys (maxVerificationKeys); issue tokens through a member whose key it has`,
        { limit: 'maxVerificationKeys', maximum: MAX_VERIFICATION_KEYS },
      );
    }
    const written = await this.#writeAuth({
      op: 'put',
      request: { key: AUTH_KEYS.key(key.kid), value: encodePublicJwk(key.publicJwk) },
    });
    if (isVaneError(written)) return written;
    this.#audit.authChange(caller, 'key.publish', written, { kid: key.kid });
    return key;
  }

  /** Reads a role, changes it, and writes it back unless another change came in between (then again). */
  async #updateRole(name: string, change: (role: Role) => Role | VaneError): Promise<number | VaneError> {
    const invalid = checkRoleName(name);
    if (invalid) return invalid;
    const key = AUTH_KEYS.role(name);
    for (let attempt = 0; attempt < ROLE_UPDATE_ATTEMPTS; attempt++) {
      const read = await this.member.range({ key });
      if (isVaneError(read)) return read;
      const stored = read.kvs[0];
      if (stored === undefined)
        return vaneError('invalidRequest', `role '${name}' does not exist (vane role add ${name})`);
      const probe = new AuthState();
      probe.apply(stored.key, stored.value);
      const role = probe.roles.get(name) ?? { name, permissions: [] };
      const changed = change(role);
      if (isVaneError(changed)) return changed;
      const written = await this.#tryWriteAuth({
        op: 'txn',
        request: {
          compare: [{ key, target: 'modRevision', result: 'equal', value: stored.modRevision }],
          success: [{ put: { key, value: encodeRoleValue(changed) } }],
          failure: [],
        },
      });
      if (written !== null) return written;
    }
    return vaneError('unavailable', `role '${name}' kept changing under this update; try again`);
  }

  /**
   * Writes reserved auth keys and waits until this member's view has the change, so that the next
   * request here already sees it. A txn whose compares fail is refused with `onFailedCompare`.
   */
  async #writeAuth(
    command: Command,
    onFailedCompare = 'the auth change lost a race; try again',
  ): Promise<number | VaneError> {
    const written = await this.#tryWriteAuth(command);
    return written ?? vaneError('invalidRequest', onFailedCompare);
  }

  /** Like #writeAuth, but null when the txn's compares failed (for a caller that retries). */
  async #tryWriteAuth(command: Command): Promise<number | VaneError | null> {
    const response = await this.member.write(command);
    if (isVaneError(response)) return response;
    if (command.op === 'txn' && !(response as TxnResponse).succeeded) return null;
    await this.#caughtUp(response.revision);
    return response.revision;
  }

  /**
   * What a verifier outside the cluster (the edge) needs to check tokens: every member's public key,
   * and the issuer and audience tokens carry. Public values; revocations are not among them.
   */
  tokenVerification(): TokenVerification {
    return {
      enabled: this.state.enabled,
      issuer: TOKEN_ISSUER,
      audience: this.#options.clusterId,
      keys: [...this.state.keys].map(([kid, jwk]) => ({ kid, ...jwk })),
    };
  }

  /** What `vane auth status` shows. */
  summary(): { enabled: boolean; roles: number; verificationKeys: number; revokedTokens: number } {
    return {
      enabled: this.state.enabled,
      roles: this.state.roles.size,
      verificationKeys: this.state.keys.size,
      revokedTokens: this.state.revoked.size,
    };
  }
}

/**
 * A member that just started applies the entries its log says are committed shortly after; the
 * auth state is read once it has (bounded), so it does not serve a moment under an older one.
 */
async function appliedWhatItCommitted(member: MemberApi, logger: Logger): Promise<void> {
  for (let waited = 0; waited < STARTUP_APPLY_WAIT_MS; waited += STARTUP_APPLY_POLL_MS) {
    const { appliedIndex, commitIndex } = member.status();
    if (appliedIndex >= commitIndex) return;
    await new Promise((resolve) => setTimeout(resolve, STARTUP_APPLY_POLL_MS));
  }
  logger.warn({ waitedMs: STARTUP_APPLY_WAIT_MS }, 'auth state read before the committed log was applied');
}

function builtinRole(name: string): VaneError | undefined {
  return name === ADMIN_ROLE
    ? vaneError(
        'invalidRequest',
        `'${ADMIN_ROLE}' is the built-in role that may do everything; it cannot be changed`,
      )
    : undefined;
}

function checkTtl(ttlSeconds: number, maxSeconds: number): VaneError | undefined {
  if (Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0 && ttlSeconds <= maxSeconds) return undefined;
  return vaneError(
    'invalidRequest',
    `ttl: ${ttlSeconds} s is outside 1 s to ${maxSeconds} s (${maxSeconds / 3600} h), the longest this kind of token may live`,
    { limit: 'maxTokenTtlSeconds', maximum: maxSeconds },
  );
}

function checkSubject(subject: string | undefined): VaneError | undefined {
  if (subject === undefined) return undefined;
  if (subject.length > 0 && new TextEncoder().encode(subject).length <= MAX_SUBJECT_BYTES) return undefined;
  return vaneError('invalidRequest', `subject: 1 to ${MAX_SUBJECT_BYTES} bytes`);
}
