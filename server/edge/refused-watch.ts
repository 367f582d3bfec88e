// A watch upgrade the edge refuses (no token, a bad one, a prefix it does not cover) is accepted only
// to say why and closed, as the members do (server/http/watch-admission.ts): a browser cannot read
// the status of a refused upgrade, but it reads the error message and the close code, 4000 + the
// HTTP status of the error (4401, 4403).
import type { VaneError } from '../../core/errors.ts';
import { encodeWatchError, HTTP_STATUS_BY_CODE } from '../../core/protocol/index.ts';
import { newWebSocketPair, webSocketResponse } from './workers-runtime.ts';

export const CLOSE_REFUSED_BASE = 4000;
/** A close reason is at most 123 bytes (RFC 6455 §5.5: control frames carry 125, the code takes 2). */
const MAX_CLOSE_REASON_BYTES = 123;

/** The 101 answer whose socket carries `error` and closes; `protocol` is the subprotocol to name. */
export function refusedWatchAnswer(error: VaneError, protocol: string | undefined): Response {
  const { client, server } = newWebSocketPair();
  server.accept();
  server.send(JSON.stringify(encodeWatchError(error)));
  server.close(
    CLOSE_REFUSED_BASE + HTTP_STATUS_BY_CODE[error.code],
    closeReason(`${error.code}: ${error.message}`),
  );
  return webSocketResponse(
    client,
    protocol === undefined ? undefined : { 'Sec-WebSocket-Protocol': protocol },
  );
}

function closeReason(text: string): string {
  const utf8 = new TextEncoder();
  if (utf8.encode(text).length <= MAX_CLOSE_REASON_BYTES) return text;
  let cut = text.slice(0, MAX_CLOSE_REASON_BYTES - 3);
  while (utf8.encode(`${cut}...`).length > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return `${cut}...`;
}
