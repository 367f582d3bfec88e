// Request bodies are read with a byte limit: a declared Content-Length over it is refused before
// reading, and a body without one (chunked) is counted while read and abandoned at the limit, so
// no more than the limit is ever buffered.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { formatBytes } from '../../core/limits.ts';

/** A request's or a response's body with its headers (both Request and Response fit). */
export interface HttpMessage {
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** `limitName` is the setting an error names, so an operator knows which knob it is. */
export async function readBoundedBody(
  message: HttpMessage,
  maxBytes: number,
  limitName = 'maxRequestBytes',
): Promise<Uint8Array | VaneError> {
  const declared = message.headers.get('content-length');
  if (declared !== null) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      return vaneError('invalidRequest', `Content-Length '${declared}' is not a byte count`);
    }
    if (length > maxBytes) return tooLarge(maxBytes, limitName, length);
    // The HTTP parser ends the body at its declared length, so it is read whole, without a stream
    // (on Node, straight from the socket's buffers). A message built in-process can still lie.
    const bytes = new Uint8Array(await message.arrayBuffer());
    return bytes.byteLength > maxBytes ? tooLarge(maxBytes, limitName, bytes.byteLength) : bytes;
  }
  if (message.body === null) return new Uint8Array(0);
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return tooLarge(maxBytes, limitName);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function tooLarge(maxBytes: number, limitName: string, actual?: number): VaneError {
  const size = actual === undefined ? 'more than that' : formatBytes(actual);
  return vaneError(
    'requestTooLarge',
    `body exceeds the ${formatBytes(maxBytes)} limit (${limitName}); it has ${size}`,
    actual === undefined
      ? { limit: limitName, maximum: maxBytes }
      : { limit: limitName, maximum: maxBytes, actual },
  );
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
