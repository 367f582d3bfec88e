// A watch WebSocket whose upgrade did not pass (a missing, bad, expired or revoked token) is opened
// only to say why and closed: a browser cannot read the status of a refused upgrade, but it can read
// an error message and a close code. The code is 4000 + the HTTP status of the error (4401, 4403).
import type { VaneError } from '../../core/errors.ts';
import { encodeWatchError } from '../../core/protocol/index.ts';
import { httpStatusOf } from './errors.ts';
import type { ClientSocket, WatchSocketListener } from './watch-session.ts';

export const CLOSE_REFUSED_BASE = 4000;
/** A close reason is at most 123 bytes (RFC 6455 §5.5: control frames carry 125, the code takes 2). */
const MAX_CLOSE_REASON_BYTES = 123;

export function refuseWatchSocket(socket: ClientSocket, error: VaneError): WatchSocketListener {
  socket.send(JSON.stringify(encodeWatchError(error)));
  socket.close(CLOSE_REFUSED_BASE + httpStatusOf(error.code), closeReason(`${error.code}: ${error.message}`));
  return { receive() {}, closed() {} };
}

function closeReason(text: string): string {
  const utf8 = new TextEncoder();
  if (utf8.encode(text).length <= MAX_CLOSE_REASON_BYTES) return text;
  let cut = text.slice(0, MAX_CLOSE_REASON_BYTES - 3);
  while (utf8.encode(`${cut}...`).length > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return `${cut}...`;
}
