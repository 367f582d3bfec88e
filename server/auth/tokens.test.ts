// Tokens on their own: what verification refuses and how it says so, and the signing key file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { isVaneError } from '../../core/errors.ts';
import { MemoryFileSystem } from '../storage/index.ts';
import type { Principal } from './principal.ts';
import { loadSigningKey, type SigningKey } from './signing-key.ts';
import { MAX_TOKEN_BYTES, signToken, verifyToken } from './tokens.ts';

const NOW = Date.UTC(2030, 0, 1);
const principal: Principal = {
  subject: 'svc',
  tokenId: 'abc',
  roles: ['reader'],
  readPrefixes: ['app/'],
  expiresAt: NOW + 60_000,
};

async function keyPair(): Promise<{
  key: SigningKey;
  lookup: (kid: string) => Promise<CryptoKey | undefined>;
}> {
  const fs = new MemoryFileSystem();
  const key = await loadSigningKey(fs, 'd/auth/signing-key.pem', { create: true });
  const { importJWK } = await import('jose');
  const publicKey = (await importJWK({ ...key.publicJwk }, 'EdDSA')) as CryptoKey;
  return { key, lookup: async (kid) => (kid === key.kid ? publicKey : undefined) };
}

async function refusal(token: string, lookup: (kid: string) => Promise<CryptoKey | undefined>, now = NOW) {
  const result = await verifyToken(token, lookup, { audience: 'c1', now });
  assert.ok(isVaneError(result), 'refused');
  assert.equal(result.code, 'unauthenticated');
  return result.message;
}

describe('verifyToken', () => {
  test('a token signed here comes back as the principal it was made for', async () => {
    const { key, lookup } = await keyPair();
    const token = await signToken(key, principal, { audience: 'c1', issuedAt: NOW });
    assert.deepEqual(await verifyToken(token, lookup, { audience: 'c1', now: NOW }), principal);
  });

  test('expired, unknown key, wrong algorithm, no key id and oversized tokens are refused, each saying why', async () => {
    const { key, lookup } = await keyPair();
    const token = await signToken(key, principal, { audience: 'c1', issuedAt: NOW });
    assert.match(
      await refusal(token, lookup, NOW + 61_000),
      /^the token expired at 2030-01-01T00:01:00\.000Z/,
    );
    assert.match(
      await refusal(token, async () => undefined),
      /signed by key '.+', which this cluster does not know/,
    );
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode('a shared secret of enough bytes'));
    assert.match(await refusal(hmac, lookup), /signed with HS256; Vane tokens use EdDSA/);
    const noKid = await new SignJWT({ sub: 's', jti: 'j', exp: NOW / 1000 + 60 })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(key.privateKey);
    assert.match(await refusal(noKid, lookup), /no key id/);
    assert.match(await refusal('x'.repeat(MAX_TOKEN_BYTES + 1), lookup), /tokens are at most 8192/);
    const badRole = await signToken(
      key,
      { ...principal, roles: ['no spaces allowed'] },
      { audience: 'c1', issuedAt: NOW },
    );
    assert.match(await refusal(badRole, lookup), /invalid role 'no spaces allowed'/);
  });
});

describe('loadSigningKey', () => {
  test('creates the key once, then reads the same key back', async () => {
    const fs = new MemoryFileSystem();
    const created = await loadSigningKey(fs, 'data/auth/signing-key.pem', { create: true });
    const again = await loadSigningKey(fs, 'data/auth/signing-key.pem', { create: true });
    assert.equal(again.kid, created.kid);
    assert.match(
      new TextDecoder().decode(await fs.readFile('data/auth/signing-key.pem')),
      /^-----BEGIN PRIVATE KEY-----/,
    );
  });

  test('a given file must exist and hold an Ed25519 key', async () => {
    const fs = new MemoryFileSystem();
    await assert.rejects(
      loadSigningKey(fs, 'keys/k.pem', { create: false }),
      /signing key file keys\/k\.pem does not exist/,
    );
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await fs.mkdirp('keys');
    await fs.writeFileDurable('keys/k.pem', new TextEncoder().encode(await exportPKCS8(privateKey)));
    await assert.rejects(
      loadSigningKey(fs, 'keys/k.pem', { create: false }),
      /not a PKCS#8 PEM Ed25519 private key/,
    );
  });
});
