// The TLS, signing-key and token-rate settings of `vane serve`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TOKEN_RATE_LIMIT, resolveConfig } from './config.ts';

const secret = { VANE_CLUSTER_SECRET: 'sixteen-chars-ok' };

describe('security settings', () => {
  it('TLS files make the advertised URLs https and wss; the signing key may come from the environment', () => {
    const result = resolveConfig(
      {
        name: 'm1',
        'cert-file': 'c.pem',
        'key-file': 'k.pem',
        'peer-cert-file': 'pc.pem',
        'peer-key-file': 'pk.pem',
        'peer-trusted-ca-file': 'ca.pem',
      },
      { ...secret, VANE_AUTH_SIGNING_KEY_FILE: '/keys/m1.pem' },
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.config.advertiseClientUrl, 'https://127.0.0.1:7379');
    assert.equal(result.config.advertisePeerUrl, 'wss://127.0.0.1:7380');
    assert.deepEqual(result.config.clientTls, { certFile: 'c.pem', keyFile: 'k.pem' });
    assert.deepEqual(result.config.peerTls, { certFile: 'pc.pem', keyFile: 'pk.pem' });
    assert.equal(result.config.peerTrustedCaFile, 'ca.pem');
    assert.equal(result.config.authSigningKeyFile, '/keys/m1.pem');
  });

  it('without them: plain URLs, a generated key, and the default token rate with twice its burst', () => {
    const result = resolveConfig({ name: 'm1' }, secret);
    assert.ok(result.ok);
    assert.equal(result.config.clientTls, null);
    assert.equal(result.config.authSigningKeyFile, null);
    assert.deepEqual(result.config.tokenRateLimit, {
      perSecond: DEFAULT_TOKEN_RATE_LIMIT,
      burst: 2 * DEFAULT_TOKEN_RATE_LIMIT,
    });
    const off = resolveConfig({ name: 'm1', 'token-rate-limit': '0' }, secret);
    assert.ok(off.ok);
    assert.equal(off.config.tokenRateLimit, null);
  });

  it('a certificate without its key, or a burst without a rate, is refused naming the flags', () => {
    const result = resolveConfig(
      {
        name: 'm1',
        'cert-file': 'c.pem',
        'peer-key-file': 'pk.pem',
        'token-rate-limit': '0',
        'token-rate-burst': '5',
      },
      secret,
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [
      '--cert-file and --key-file go together: give both or neither',
      '--peer-cert-file and --peer-key-file go together: give both or neither',
      '--token-rate-burst needs a --token-rate-limit above 0',
    ]);
  });
});
