// A member on Node: the file system, the `ws` peer network and the HTTP server.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MemberConfig } from '../../config.ts';
import { type RunningMember, startMember } from '../start-member.ts';
import { nodeFileSystem, nodeProcessTable } from './fs.ts';
import { serveClientApi } from './http.ts';
import { createNodePeerNetwork, type PeerTls } from './peer-socket.ts';

export type { RunningMember } from '../start-member.ts';

function peerTlsOf(config: MemberConfig): PeerTls {
  const read = (path: string): string => readFileSync(path, 'utf8');
  return {
    ...(config.peerTls ? { cert: read(config.peerTls.certFile), key: read(config.peerTls.keyFile) } : {}),
    ...(config.peerTrustedCaFile ? { ca: read(config.peerTrustedCaFile) } : {}),
  };
}

export function startNodeMember(config: MemberConfig): Promise<RunningMember> {
  return startMember(config, {
    runtime: `node ${process.version}`,
    fs: nodeFileSystem,
    processes: nodeProcessTable,
    network: createNodePeerNetwork(peerTlsOf(config)),
    serveClientApi,
    afterIo: setImmediate,
    randomSeed: () => randomInt(2 ** 32),
  });
}
