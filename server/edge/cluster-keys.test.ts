// The cluster's token keys as the edge holds them: fetched from a member's GET /v1/auth/keys, served
// from cache, refetched early for an unknown kid without letting made-up kids hammer the cluster,
// failed over between members, bad answers refused without losing the keys already known, and what
// the edge does when it has never reached the cluster. Members are a fake fetch; time is a number.
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { isVaneError, type VaneError } from '../../core/errors.ts';
import type { AuthKeysJson } from '../auth/wire.ts';
import { authorizeBrowserRead } from './browser-auth.ts';
import { AUTH_KEYS_PATH, ClusterKeys, type ClusterKeysView, MAX_AUTH_KEYS } from './cluster-keys.ts';
import { DEFAULT_EDGE_LIMITS, type EdgeLimits } from './limits.ts';

/** cluster-keys.ts MAX_AUTH_KEYS_ANSWER_CHARS (not exported). */
const MAX_ANSWER_CHARS = 64 * 1024;
const ISSUER = 'vane';
const AUDIENCE = 'cluster-7f3a';
const M1 = 'https://m1.vane.example';
const M2 = 'https://m2.vane.example';
const M3 = 'https://m3.vane.example';
const M4 = 'https://m4.vane.example';
const keysUrl = (member: string) => `${member}${AUTH_KEYS_PATH}`;

/** A member's signing key as the member makes it: Ed25519, its kid the RFC 7638 thumbprint. */
interface MemberKey {
  readonly kid: string;
  readonly x: string;
  readonly privateKey: CryptoKey;
}

async function memberKey(): Promise<MemberKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  if (jwk.x === undefined) throw new Error('exportJWK gave an Ed25519 public key without x');
  return { kid: await calculateJwkThumbprint(jwk), x: jwk.x, privateKey };
}

/** What a member answers on GET /v1/auth/keys (server/http/auth-routes.ts). */
function keysAnswer(keys: readonly MemberKey[], enabled = true): AuthKeysJson {
  return {
    header: { revision: 42, member: 'm1', raftTerm: 3 },
    enabled,
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: keys.map(({ kid, x }) => ({ kid, kty: 'OKP', crv: 'Ed25519', x, alg: 'EdDSA', use: 'sig' })),
  };
}

/** A browser read token as `vane token create --read-prefix app/` issues it, signed with `key`. */
function browserToken(key: MemberKey, kid = key.kid): Promise<string> {
  return new SignJWT({ read: ['app/'] })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('browser')
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(key.privateKey);
}

type Member = (request: Request) => Promise<Response>;

const answering =
  (body: unknown): Member =>
  async () =>
    Response.json(body);
const answeringText =
  (text: string, status = 200): Member =>
  async () =>
    new Response(text, { status });
/** What fetch does when nothing listens at the member's address. */
const refusingConnections: Member = async () => {
  throw new TypeError('fetch failed');
};
/**
 * A member that never answers: the request ends only when its signal aborts it. The timer stands for
 * the open socket, which keeps the process alive (AbortSignal.timeout's own timer does not).
 */
const hanging: Member = (request) =>
  new Promise((_, reject) => {
    const openSocket = setTimeout(() => reject(new Error('the test member hung for 10 s')), 10_000);
    request.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(openSocket);
        reject(request.signal.reason);
      },
      { once: true },
    );
  });

/** The members, by origin, behind the edge's fetch; every URL asked is recorded in order. */
class FakeCluster {
  readonly asked: string[] = [];
  readonly #members = new Map<string, Member>();

  set(origin: string, member: Member): void {
    this.#members.set(origin, member);
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    this.asked.push(request.url);
    const member = this.#members.get(new URL(request.url).origin);
    if (member === undefined) throw new Error(`the test has no member at ${request.url}`);
    return member(request);
  };
}

interface Edge {
  readonly keys: ClusterKeys;
  readonly clock: { ms: number };
}

function edge(
  cluster: FakeCluster,
  options: { endpoints?: string[]; edgeHasToken?: boolean; limits?: Partial<EdgeLimits> } = {},
): Edge {
  const clock = { ms: 0 };
  const keys = new ClusterKeys({
    endpoints: options.endpoints ?? [M1],
    limits: { ...DEFAULT_EDGE_LIMITS, ...options.limits },
    edgeHasToken: options.edgeHasToken ?? true,
    fetch: cluster.fetch,
    now: () => clock.ms,
  });
  return { keys, clock };
}

function viewOf(result: ClusterKeysView | VaneError): ClusterKeysView {
  if (isVaneError(result)) assert.fail(`expected the keys, got ${result.code}: ${result.message}`);
  return result;
}

const cacheMs = DEFAULT_EDGE_LIMITS.authKeysCacheMs;
const refetchMs = DEFAULT_EDGE_LIMITS.authKeysRefetchMs;

describe('ClusterKeys', () => {
  let first: MemberKey;
  let second: MemberKey;
  let attacker: MemberKey;
  let logged: ReturnType<typeof mock.method>;
  const logLines = () => logged.mock.calls.map((call) => String(call.arguments[0]));

  before(async () => {
    [first, second, attacker] = await Promise.all([memberKey(), memberKey(), memberKey()]);
  });
  beforeEach(() => {
    logged = mock.method(console, 'error', () => {});
  });
  afterEach(() => {
    mock.restoreAll();
  });

  it('needs at least one cluster endpoint', () => {
    const cluster = new FakeCluster();
    assert.throws(() => edge(cluster, { endpoints: [] }), /needs at least one cluster endpoint/);
  });

  it("decodes a member's answer into verification keys by kid, with the issuer and audience", async () => {
    const cluster = new FakeCluster();
    cluster.set(M1, answering(keysAnswer([first, second])));
    const { keys } = edge(cluster, { endpoints: [`${M1}//`] });
    const view = viewOf(await keys.current());
    assert.deepEqual(cluster.asked, [keysUrl(M1)]);
    assert.equal(view.enabled, true);
    assert.equal(view.issuer, ISSUER);
    assert.equal(view.audience, AUDIENCE);
    assert.deepEqual([...view.keys.keys()], [first.kid, second.kid]);
    for (const key of view.keys.values()) {
      assert.equal(key.type, 'public');
      assert.equal(key.algorithm.name, 'Ed25519');
    }
    assert.equal(view.fetchedAt, 0);
  });

  it('fetches once, serves the keys from cache for authKeysCacheMs, then fetches again', async () => {
    const cluster = new FakeCluster();
    cluster.set(M1, answering(keysAnswer([first])));
    const { keys, clock } = edge(cluster);
    const fetched = viewOf(await keys.current());
    cluster.set(M1, answering(keysAnswer([first], false)));
    for (const ms of [1, refetchMs, cacheMs / 2, cacheMs - 1]) {
      clock.ms = ms;
      assert.equal(await keys.current(), fetched, `at ${ms} ms`);
    }
    assert.equal(cluster.asked.length, 1);
    clock.ms = cacheMs;
    const refetched = viewOf(await keys.current());
    assert.equal(cluster.asked.length, 2);
    assert.equal(refetched.enabled, false, 'the cluster turned auth off meanwhile');
    assert.equal(refetched.fetchedAt, cacheMs);
    clock.ms = 2 * cacheMs - 1;
    assert.equal(await keys.current(), refetched);
    assert.equal(cluster.asked.length, 2);
  });

  it('shares one fetch among concurrent callers', async () => {
    const cluster = new FakeCluster();
    cluster.set(M1, answering(keysAnswer([first])));
    const { keys } = edge(cluster);
    const views = await Promise.all(Array.from({ length: 20 }, () => keys.current()));
    assert.equal(cluster.asked.length, 1);
    for (const view of views) assert.equal(view, views[0]);
    viewOf(views[0]!);
  });

  it('after a failed fetch, asks the cluster again no sooner than authKeysRefetchMs, not on every read', async () => {
    const cluster = new FakeCluster();
    cluster.set(M1, answering(keysAnswer([first])));
    const { keys, clock } = edge(cluster);
    const view = viewOf(await keys.current());
    cluster.set(M1, answeringText('no leader', 503));
    clock.ms = cacheMs;
    for (let i = 0; i < 100; i++) assert.equal(await keys.current(), view, `read ${i}`);
    assert.equal(cluster.asked.length, 2, 'one fetch, not one per browser read');
    clock.ms = cacheMs + refetchMs;
    assert.equal(await keys.current(), view);
    assert.equal(cluster.asked.length, 3, 'asked again authKeysRefetchMs later');
  });

  describe('a token naming a kid the edge has not seen', () => {
    it('fetches again early, at most once per authKeysRefetchMs however many made-up kids arrive', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster);
      const view = viewOf(await keys.current());
      clock.ms = refetchMs - 1;
      for (let i = 0; i < 50; i++) assert.equal(await keys.afterUnknownKid(view), view);
      assert.equal(cluster.asked.length, 1, 'within authKeysRefetchMs of the first fetch');

      cluster.set(M1, answering(keysAnswer([first, second])));
      clock.ms = refetchMs;
      const flood = await Promise.all(Array.from({ length: 50 }, () => keys.afterUnknownKid(view)));
      assert.equal(cluster.asked.length, 2);
      const refetched = viewOf(flood[0]!);
      assert.deepEqual([...refetched.keys.keys()], [first.kid, second.kid]);
      for (const result of flood) assert.equal(result, refetched);
      for (let i = 1; i < 50; i++) {
        clock.ms = refetchMs + i * 100;
        assert.equal(await keys.afterUnknownKid(refetched), refetched);
      }
      assert.equal(cluster.asked.length, 2);

      clock.ms = 2 * refetchMs;
      const again = viewOf(await keys.afterUnknownKid(refetched));
      assert.equal(cluster.asked.length, 3);
      clock.ms = 2 * refetchMs + cacheMs - 1;
      assert.equal(await keys.current(), again, 'an early refetch restarts the cache');
      assert.equal(cluster.asked.length, 3);
    });

    it('gets the newest view without a fetch when another caller already fetched it', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster);
      const older = viewOf(await keys.current());
      cluster.set(M1, answering(keysAnswer([first, second])));
      clock.ms = cacheMs;
      const newer = viewOf(await keys.current());
      clock.ms = cacheMs + 1;
      assert.equal(await keys.afterUnknownKid(older), newer);
      assert.equal(cluster.asked.length, 2);
    });

    it('waits for a fetch already in flight instead of answering with the keys it replaces', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster);
      const view = viewOf(await keys.current());
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      cluster.set(M1, async () => {
        await released;
        return Response.json(keysAnswer([first, second]));
      });
      clock.ms = refetchMs;
      const firstBrowser = keys.afterUnknownKid(view);
      clock.ms = refetchMs + 1;
      const secondBrowser = keys.afterUnknownKid(view);
      release();
      for (const result of await Promise.all([firstBrowser, secondBrowser])) {
        assert.deepEqual([...viewOf(result).keys.keys()], [first.kid, second.kid]);
      }
      assert.equal(cluster.asked.length, 2);
    });

    it("admits a new member's browser tokens after the refetch and refuses made-up kids", async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster);
      const read = (token: string) => authorizeBrowserRead({ token, prefix: 'app/' }, keys);
      assert.equal(await read(await browserToken(first)), undefined);

      cluster.set(M1, answering(keysAnswer([first, second])));
      const joined = await browserToken(second);
      clock.ms = refetchMs - 1;
      assert.match(
        (await read(joined))?.message ?? '',
        /signed by key '.+', which this cluster does not know/,
      );
      assert.equal(cluster.asked.length, 1, 'a new key is learnt no sooner than authKeysRefetchMs');
      clock.ms = refetchMs;
      assert.equal(await read(joined), undefined);
      assert.equal(cluster.asked.length, 2);

      const forged = await Promise.all(
        Array.from({ length: 40 }, (_, i) => browserToken(attacker, `made-up-${i}`)),
      );
      for (const [round, at] of [refetchMs + 1, 2 * refetchMs].entries()) {
        clock.ms = at;
        for (const refusal of await Promise.all(forged.map(read))) {
          assert.equal(refusal?.code, 'unauthenticated');
          assert.match(refusal.message, /which this cluster does not know/);
        }
        assert.equal(cluster.asked.length, 2 + round, `at ${at} ms`);
      }
    });
  });

  describe('endpoints', () => {
    it('passes over a member that refuses the connection, answers 5xx or outlasts authKeysFetchMs, first to last on every fetch', async () => {
      const cluster = new FakeCluster();
      const fetchMs = 20;
      /** How the hanging member's requests ended, and after how many real milliseconds. */
      const givenUp: { reason: string; afterMs: number }[] = [];
      cluster.set(M1, refusingConnections);
      cluster.set(M2, answeringText('overloaded', 503));
      cluster.set(M3, (request) => {
        const askedAt = performance.now();
        return hanging(request).catch((reason: unknown) => {
          givenUp.push({
            reason: reason instanceof Error ? reason.name : String(reason),
            afterMs: performance.now() - askedAt,
          });
          throw reason;
        });
      });
      cluster.set(M4, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster, {
        endpoints: [M1, M2, M3, M4],
        limits: { authKeysFetchMs: fetchMs },
      });
      assert.deepEqual([...viewOf(await keys.current()).keys.keys()], [first.kid]);
      const order = [M1, M2, M3, M4].map(keysUrl);
      assert.deepEqual(cluster.asked, order);
      assert.equal(givenUp.length, 1);
      assert.equal(givenUp[0]!.reason, 'TimeoutError');
      // Timers fire no sooner than asked (to the millisecond); the upper bound is loose for a busy machine.
      assert.ok(givenUp[0]!.afterMs >= fetchMs - 1, `given up after ${givenUp[0]!.afterMs} ms`);
      assert.ok(givenUp[0]!.afterMs < 50 * fetchMs, `given up after ${givenUp[0]!.afterMs} ms`);
      assert.deepEqual(logLines(), [], 'a fetch that ends with an answer logs nothing');

      clock.ms = cacheMs;
      viewOf(await keys.current());
      assert.deepEqual(cluster.asked, [...order, ...order], 'the first member is asked first again');
    });

    it("passes over a member's bad answer for the next member's good one", async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering({ ...keysAnswer([first]), issuer: 7 }));
      cluster.set(M2, answering(keysAnswer([second])));
      const { keys } = edge(cluster, { endpoints: [M1, M2] });
      assert.deepEqual([...viewOf(await keys.current()).keys.keys()], [second.kid]);
      assert.deepEqual(cluster.asked, [keysUrl(M1), keysUrl(M2)]);
    });

    it("keeps the keys it has when every member fails, and logs each member's failure", async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster, { endpoints: [M1, M2, M3] });
      const view = viewOf(await keys.current());
      cluster.set(M1, refusingConnections);
      cluster.set(M2, answeringText('{"error":"no leader"}', 500));
      cluster.set(M3, answeringText('<html>bad gateway</html>'));
      clock.ms = cacheMs;
      assert.equal(await keys.current(), view);
      assert.equal(cluster.asked.length, 4);
      const [line, ...more] = logLines();
      assert.deepEqual(more, []);
      assert.match(
        line ?? '',
        new RegExp(
          `^edge: cannot fetch the cluster's token keys: ${keysUrl(M1)}: fetch failed; ${keysUrl(M2)}: HTTP 500; ${keysUrl(M3)}: .*JSON`,
        ),
      );
    });
  });

  describe('bad answers', () => {
    const good = () => keysAnswer([first]);
    const sameKeyAs = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ ...good().keys[0]!, kid: `member-${i}` }));
    const badAnswers: {
      readonly what: string;
      readonly text: () => Promise<string>;
      readonly problem: RegExp;
    }[] = [
      {
        what: `more than MAX_AUTH_KEYS (${MAX_AUTH_KEYS}) keys`,
        text: async () => JSON.stringify({ ...good(), keys: sameKeyAs(MAX_AUTH_KEYS + 1) }),
        problem: new RegExp(`not a keys answer \\(keys: .*${MAX_AUTH_KEYS}`),
      },
      {
        what: `an answer over ${MAX_ANSWER_CHARS} characters`,
        text: async () => JSON.stringify(good()).padEnd(MAX_ANSWER_CHARS + 1, ' '),
        problem: new RegExp(`the answer exceeds ${MAX_ANSWER_CHARS} characters`),
      },
      {
        what: 'malformed JSON',
        text: async () => JSON.stringify(good()).slice(0, 40),
        problem: /JSON/,
      },
      {
        what: 'no audience',
        text: async () => JSON.stringify({ ...good(), audience: undefined }),
        problem: /not a keys answer \(audience: /,
      },
      {
        what: 'keys that are not a list',
        text: async () => JSON.stringify({ ...good(), keys: { [first.kid]: good().keys[0] } }),
        problem: /not a keys answer \(keys: /,
      },
      {
        what: 'a key without a kid',
        text: async () => JSON.stringify({ ...good(), keys: [{ ...good().keys[0], kid: '' }] }),
        problem: /not a keys answer \(keys\.0\.kid: /,
      },
      {
        what: 'a P-256 key beside an Ed25519 one',
        text: async () => {
          const { publicKey } = await generateKeyPair('ES256', { extractable: true });
          const p256 = { ...(await exportJWK(publicKey)), kid: 'p256', alg: 'ES256', use: 'sig' };
          return JSON.stringify({ ...good(), keys: [good().keys[0], p256] });
        },
        problem: /not a keys answer \(keys\.1\.kty: /,
      },
      {
        what: 'an X25519 key',
        text: async () => {
          const { publicKey } = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
          return JSON.stringify({ ...good(), keys: [{ ...(await exportJWK(publicKey)), kid: 'x25519' }] });
        },
        problem: /not a keys answer \(keys\.0\.crv: /,
      },
      {
        what: 'an Ed25519 key that is not 32 bytes',
        text: async () => JSON.stringify({ ...good(), keys: [{ ...good().keys[0], x: `${first.x}A` }] }),
        problem: /not a keys answer \(keys\.0\.x: not an Ed25519 public key/,
      },
    ];

    for (const { what, text, problem } of badAnswers) {
      it(`refuses ${what}, naming the problem, and keeps the keys it had`, async () => {
        const bad = await text();
        const cluster = new FakeCluster();
        cluster.set(M1, answering(good()));
        const { keys, clock } = edge(cluster);
        const view = viewOf(await keys.current());
        cluster.set(M1, answeringText(bad));
        clock.ms = cacheMs;
        assert.equal(await keys.current(), view);
        assert.equal(cluster.asked.length, 2);
        assert.equal(logLines().length, 1);
        assert.ok(logLines()[0]!.includes(`${keysUrl(M1)}: `), 'the log names the member');
        assert.match(logLines()[0]!, problem);

        const { keys: fresh } = edge(cluster, { edgeHasToken: true });
        const refused = await fresh.current();
        assert.ok(isVaneError(refused), 'an edge that has only seen the bad answer has no keys');
        assert.equal(refused.code, 'unavailable');
      });
    }

    it(`accepts MAX_AUTH_KEYS keys in an answer of exactly ${MAX_ANSWER_CHARS} characters`, async () => {
      const text = JSON.stringify({ ...keysAnswer([first]), keys: sameKeyAs(MAX_AUTH_KEYS) });
      const cluster = new FakeCluster();
      cluster.set(M1, answeringText(text.padEnd(MAX_ANSWER_CHARS, ' ')));
      const { keys } = edge(cluster);
      assert.equal(viewOf(await keys.current()).keys.size, MAX_AUTH_KEYS);
    });
  });

  describe('before the edge has ever reached the cluster', () => {
    it('without an edge token, admits browsers as without auth, and enforces auth once it reaches the cluster', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, refusingConnections);
      const { keys, clock } = edge(cluster, { edgeHasToken: false });
      const anonymous = () => authorizeBrowserRead({ token: undefined, prefix: 'app/' }, keys);
      const unreached = viewOf(await keys.current());
      assert.equal(unreached.enabled, false);
      assert.equal(unreached.keys.size, 0);
      assert.equal(await anonymous(), undefined);
      assert.match(logLines()[0] ?? '', /cannot fetch the cluster's token keys: .*fetch failed/);

      cluster.set(M1, answering(keysAnswer([first])));
      clock.ms = refetchMs;
      assert.equal((await anonymous())?.code, 'unauthenticated');
      assert.equal(
        await authorizeBrowserRead({ token: await browserToken(first), prefix: 'app/' }, keys),
        undefined,
      );
    });

    it('with an edge token, fails closed until it has the keys', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, refusingConnections);
      cluster.set(M2, hanging);
      const { keys, clock } = edge(cluster, {
        endpoints: [M1, M2],
        edgeHasToken: true,
        limits: { authKeysFetchMs: 5 },
      });
      const token = await browserToken(first);
      const refused = await authorizeBrowserRead({ token, prefix: 'app/' }, keys);
      assert.equal(refused?.code, 'unavailable');
      assert.match(refused.message, /cannot reach the cluster to learn its token keys; retry/);
      assert.equal(
        (await authorizeBrowserRead({ token: undefined, prefix: 'app/' }, keys))?.code,
        'unavailable',
      );

      cluster.set(M2, answering(keysAnswer([first])));
      clock.ms = refetchMs;
      assert.equal(await authorizeBrowserRead({ token, prefix: 'app/' }, keys), undefined);
    });

    it('once it has seen auth enabled, an unreachable cluster does not turn auth off, even without an edge token', async () => {
      const cluster = new FakeCluster();
      cluster.set(M1, answering(keysAnswer([first])));
      const { keys, clock } = edge(cluster, { edgeHasToken: false });
      viewOf(await keys.current());
      cluster.set(M1, refusingConnections);
      clock.ms = cacheMs;
      assert.equal(
        (await authorizeBrowserRead({ token: undefined, prefix: 'app/' }, keys))?.code,
        'unauthenticated',
      );
      const token = await browserToken(first);
      assert.equal(await authorizeBrowserRead({ token, prefix: 'app/' }, keys), undefined);
    });
  });
});
