// A member on Node: the file system, the `ws` peer network and the HTTP server.
import { randomInt } from 'node:crypto';
import type { MemberConfig } from '../../config.ts';
import { type RunningMember, startMember } from '../start-member.ts';
import { nodeFileSystem, nodeProcessTable } from './fs.ts';
import { serveClientApi } from './http.ts';
import { createNodePeerNetwork } from './peer-socket.ts';

export type { RunningMember } from '../start-member.ts';

export function startNodeMember(config: MemberConfig): Promise<RunningMember> {
  return startMember(config, {
    runtime: `node ${process.version}`,
    fs: nodeFileSystem,
    processes: nodeProcessTable,
    network: createNodePeerNetwork(),
    serveClientApi,
    randomSeed: () => randomInt(2 ** 32),
  });
}
