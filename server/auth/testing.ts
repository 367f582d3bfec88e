// Test doubles for auth: a hand-driven clock, an AuthService over the HTTP layer's FakeMember with
// an in-memory signing key, and audit lines captured as objects.
import { FakeMember } from '../http/testing.ts';
import { createLogger } from '../log.ts';
import { MemoryFileSystem } from '../storage/index.ts';
import { type AuthClock, AuthService } from './auth-service.ts';
import type { RateLimit } from './rate-limiter.ts';
import { loadSigningKey, type SigningKey } from './signing-key.ts';

/** Wall-clock time moved by hand; `every` tasks run when advance() passes their period. */
export class ManualAuthClock implements AuthClock {
  #now = Date.UTC(2030, 0, 1);
  readonly #tasks = new Set<{ ms: number; next: number; task: () => void }>();

  now(): number {
    return this.#now;
  }

  every(ms: number, task: () => void): () => void {
    const entry = { ms, next: this.#now + ms, task };
    this.#tasks.add(entry);
    return () => this.#tasks.delete(entry);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#tasks].filter((t) => t.next <= until).sort((a, b) => a.next - b.next)[0];
      if (due === undefined) break;
      this.#now = due.next;
      due.next += due.ms;
      due.task();
    }
    this.#now = until;
  }
}

/** A fresh Ed25519 key, as a member would create in its data directory. */
export async function newSigningKey(): Promise<SigningKey> {
  const fs = new MemoryFileSystem();
  return loadSigningKey(fs, 'dir/auth/signing-key.pem', { create: true });
}

export interface AuthFixture {
  readonly member: FakeMember;
  readonly auth: AuthService;
  readonly clock: ManualAuthClock;
  /** Every log line the service wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The audit lines among them. */
  audit(): Record<string, unknown>[];
}

export async function authFixture(
  options: { member?: FakeMember; rateLimit?: RateLimit; signingKey?: SigningKey; clusterId?: string } = {},
): Promise<AuthFixture> {
  const member = options.member ?? new FakeMember();
  const clock = new ManualAuthClock();
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    name: 'auth',
    destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const signingKey = options.signingKey ?? (await newSigningKey());
  const auth = await AuthService.start({
    member,
    clusterId: options.clusterId ?? 'test',
    loadSigningKey: async () => signingKey,
    logger,
    clock,
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
  });
  return { member, auth, clock, logs, audit: () => logs.filter((line) => line.audit === true) };
}

/** Lets queued microtasks (the auth-state watch) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
