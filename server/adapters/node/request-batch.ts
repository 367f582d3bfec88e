// Requests are handed to the app once the event loop has read every socket that had data, not as
// soon as their headers are parsed: by then a body that came in the same packets has been parsed
// too, and goes to the app as one Buffer (rawBody) instead of through a web stream. That writes
// arriving together share one WAL fsync is the member's doing (its Raft loop runs after the I/O of
// a turn, MemberDeps.afterIo); handing them over together keeps their proposals in one Ready.
import type { IncomingMessage, ServerResponse } from 'node:http';

type RequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

/** The property @hono/node-server reads a request's body from when it has already been read. */
interface BufferedBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
}

/**
 * Passes the requests that arrived in one turn of the event loop to `listener` together, in arrival
 * order, in the turn's check phase. A body that arrived whole is first read out of the request into
 * `rawBody`, so the app gets it at once rather than through a stream. The batch holds no more than
 * the turn would have dispatched anyway, and a body read out is one Node had already buffered (its
 * parser stops reading a connection whose unread body passes the stream's high-water mark).
 */
export function batchRequests(listener: RequestListener): RequestListener {
  let batch: [IncomingMessage, ServerResponse][] = [];
  const dispatch = (): void => {
    const requests = batch;
    batch = [];
    for (const [incoming, outgoing] of requests) {
      takeBufferedBody(incoming);
      listener(incoming, outgoing);
    }
  };
  return (incoming, outgoing) => {
    batch.push([incoming, outgoing]);
    if (batch.length === 1) setImmediate(dispatch);
  };
}

function takeBufferedBody(incoming: BufferedBodyRequest): void {
  if (!incoming.complete || incoming.readableDidRead) return;
  const chunks: Buffer[] = [];
  for (let chunk: unknown = incoming.read(); chunk !== null; chunk = incoming.read()) {
    if (!Buffer.isBuffer(chunk)) throw new Error('request body invariant: an unread request yields Buffers');
    chunks.push(chunk);
  }
  const [first] = chunks;
  incoming.rawBody = chunks.length === 1 && first !== undefined ? first : Buffer.concat(chunks);
}
