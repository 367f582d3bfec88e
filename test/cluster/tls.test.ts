// TLS with a self-signed CA made for the test (openssl): 3 member processes whose peers talk over
// wss (each trusting only that CA) and whose client API serves https and wss. A write through one
// member is read back through another and seen by a watch over wss; a client that does not trust
// the CA is refused by the TLS handshake.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../core/protocol/index.ts';
import { freePort, SECRET, VANE_BIN, waitFor } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface TlsMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  process: ChildProcess | null;
}

/** A CA, and one certificate it signed for 127.0.0.1 (every member uses it). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'member.pem');
  const key = join(dir, 'member.key');
  const csr = join(dir, 'member.csr');
  const ext = join(dir, 'member.ext');
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    caKey,
    '-out',
    ca,
    '-subj',
    '/CN=Vane test CA',
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '1',
    '-extfile',
    ext,
  );
  return { ca, cert, key };
}

/** A JSON request over https that trusts only `ca` (undefined: the system's CAs). */
function httpsJson(
  port: number,
  method: string,
  path: string,
  ca: string | undefined,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON bodies
): Promise<{ status: number; body: any }> {
  return new Promise((resolvePromise, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ...(ca === undefined ? {} : { ca }),
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        timeout: 5000,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        response.on('end', () =>
          resolvePromise({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }),
        );
      },
    );
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('TLS for clients (https, wss) and peers (wss) with a self-signed CA', { timeout: 300_000 }, () => {
  const dir = join(ROOT, 'test-output', 'cluster', `tls-${process.pid}`);
  const members: TlsMember[] = [];
  let caPem: string;

  before(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = makeCertificates(dir);
    caPem = readFileSync(files.ca, 'utf8');
    for (const name of ['m1', 'm2', 'm3']) {
      members.push({ name, clientPort: await freePort(), peerPort: await freePort(), process: null });
    }
    const initial = members.map((m) => `${m.name}=wss://127.0.0.1:${m.peerPort}`).join(',');
    for (const m of members) {
      const log = createWriteStream(join(dir, `${m.name}.log`));
      const child = spawn(
        process.execPath,
        [
          VANE_BIN,
          'serve',
          '--name',
          m.name,
          '--data-dir',
          join(dir, m.name),
          '--listen-client',
          `127.0.0.1:${m.clientPort}`,
          '--listen-peer',
          `127.0.0.1:${m.peerPort}`,
          '--initial-cluster',
          initial,
          '--cert-file',
          files.cert,
          '--key-file',
          files.key,
          '--peer-cert-file',
          files.cert,
          '--peer-key-file',
          files.key,
          '--peer-trusted-ca-file',
          files.ca,
        ],
        { env: { ...process.env, VANE_CLUSTER_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout.pipe(log);
      child.stderr.pipe(log);
      m.process = child;
    }
    await waitFor('a leader every member follows, over TLS', 20_000, async () => {
      const leaders = new Set<string>();
      for (const m of members) {
        const status = await httpsJson(m.clientPort, 'GET', '/v1/cluster/status', caPem);
        if (!status.body?.leader) return undefined;
        leaders.add(status.body.leader);
      }
      return leaders.size === 1 ? true : undefined;
    });
  });

  after(() => {
    for (const m of members) if (m.process?.pid !== undefined) process.kill(m.process.pid, 'SIGKILL');
  });

  it('replicates a write made over https through wss peer links, and a watch over wss sees it', async () => {
    const [m1, m2, m3] = members as [TlsMember, TlsMember, TlsMember];
    const ws = new WebSocket(`wss://127.0.0.1:${m2.clientPort}/v1/watch`, { ca: caPem });
    // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON messages
    const messages: any[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise<void>((resolvePromise, reject) => {
      ws.once('open', () => resolvePromise());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'watchCreate', key: 'tls/', rangeEnd: 'tls0' }));
    await waitFor('the watch to be created', 5000, () =>
      messages.some((m) => m.created) ? true : undefined,
    );
    const put = await httpsJson(m1.clientPort, 'PUT', '/v1/kv/tls%2Fa', caPem, { value: 'secret' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const read = await httpsJson(m3.clientPort, 'GET', '/v1/kv/tls%2Fa', caPem);
    assert.equal(read.status, 200);
    assert.equal(read.body.kvs[0].value, 'secret');
    const event = await waitFor('the event over wss', 5000, () => messages.find((m) => m.events?.length > 0));
    assert.equal(event.events[0].kv.key, 'tls/a');
    ws.close();
  });

  it('refuses a client that does not trust the CA, and plain http on the TLS port', async () => {
    const m1 = members[0]!;
    await assert.rejects(
      httpsJson(m1.clientPort, 'GET', '/health', undefined),
      /self-signed|unable to (verify|get)/,
    );
    await assert.rejects(
      fetch(`http://127.0.0.1:${m1.clientPort}/health`, { signal: AbortSignal.timeout(5000) }),
    );
  });
});
