// A member on Deno: the file system, the peer network and the HTTP server on Deno's own APIs,
// wired to the same runtime-neutral Member and client API as on Node.
import type { MemberConfig } from '../../config.ts';
import { type RunningMember, startMember } from '../start-member.ts';
import { denoFileSystem, denoProcessTable } from './fs.ts';
import { serveClientApi } from './http.ts';
import { createDenoPeerNetwork } from './peer-socket.ts';

export type { RunningMember } from '../start-member.ts';

export function startDenoMember(config: MemberConfig): Promise<RunningMember> {
  // Deno's WebSocket takes no CA option: the process-wide DENO_CERT does that job.
  if (config.peerTrustedCaFile !== null) {
    return Promise.reject(
      new Error(
        '--peer-trusted-ca-file is not supported on Deno; set DENO_CERT=<file> (trusted for every connection)',
      ),
    );
  }
  const peerTls = config.peerTls
    ? {
        cert: Deno.readTextFileSync(config.peerTls.certFile),
        key: Deno.readTextFileSync(config.peerTls.keyFile),
      }
    : undefined;
  return startMember(config, {
    runtime: `deno ${Deno.version.deno}`,
    fs: denoFileSystem,
    processes: denoProcessTable,
    network: createDenoPeerNetwork(peerTls),
    serveClientApi,
    randomSeed: () => crypto.getRandomValues(new Uint32Array(1))[0]!,
  });
}
