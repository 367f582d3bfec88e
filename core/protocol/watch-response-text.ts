// Watch responses as the JSON text the watch socket carries: byte for byte what
// JSON.stringify(encodeWatchResponse(...)) gives, built so that a revision fanned out to many watchers
// is encoded once. The store's watch hub hands every watcher of one key range and delivery variant
// the same events array, so the events' JSON is cached by that array's identity (per value
// encoding); each response then only writes its header and its watch id around the shared text.

import type { WatchEvent, WatchResponse } from '../store/types.ts';
import type { ResponseMeta } from './kv-codec.ts';
import type { ValueEncoding } from './text.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { encodeWatchEvent } from './watch-codec.ts';

interface EncodedEvents {
  utf8?: string;
  base64?: string;
}

interface EncodedHeader {
  readonly revision: number;
  readonly member: string;
  readonly raftTerm: number;
  /** `{"v":…,"type":"watchResponse","header":{…},"watchId":` */
  readonly opening: string;
}

const EMPTY_EVENTS = ',"events":[]';

export class WatchResponseEncoder {
  /**
   * Events arrays are never changed once the hub hands them out (they are shared between watchers),
   * so their text can be cached by identity; an array no response refers to any more is collected.
   */
  readonly #events = new WeakMap<readonly WatchEvent[], EncodedEvents>();
  /** The last header written: consecutive responses of one fan-out share it. */
  #header: EncodedHeader | undefined;

  /** The response's JSON text; `watchId` (the id the client knows the watch by) replaces response.watchId. */
  encode(
    response: WatchResponse,
    meta: ResponseMeta,
    encoding: ValueEncoding,
    watchId: number = response.watchId,
  ): string {
    if (!Number.isSafeInteger(watchId)) {
      throw new Error(`WatchResponseEncoder: watch id ${watchId} is not a safe integer`);
    }
    let text = this.#opening(response.revision, meta) + watchId + this.#eventsText(response.events, encoding);
    if (response.created) text += ',"created":true';
    if (response.canceled) text += ',"canceled":true';
    if (response.compactRevision) text += `,"compactRevision":${checkedNat(response.compactRevision)}`;
    if (response.cancelReason !== undefined)
      text += `,"cancelReason":${JSON.stringify(response.cancelReason)}`;
    return `${text}}`;
  }

  #opening(revision: number, meta: ResponseMeta): string {
    const last = this.#header;
    if (
      last !== undefined &&
      last.revision === revision &&
      last.member === meta.member &&
      last.raftTerm === meta.raftTerm
    ) {
      return last.opening;
    }
    const header = `{"revision":${checkedNat(revision)},"member":${JSON.stringify(meta.member)},"raftTerm":${checkedNat(meta.raftTerm)}}`;
    const opening = `{"v":${PROTOCOL_VERSION},"type":"watchResponse","header":${header},"watchId":`;
    this.#header = { revision, member: meta.member, raftTerm: meta.raftTerm, opening };
    return opening;
  }

  /** `,"events":[…]` for the events in `encoding`, encoded once per array and encoding. */
  #eventsText(events: readonly WatchEvent[], encoding: ValueEncoding): string {
    if (events.length === 0) return EMPTY_EVENTS;
    let cached = this.#events.get(events);
    if (cached === undefined) {
      cached = {};
      this.#events.set(events, cached);
    }
    const known = cached[encoding];
    if (known !== undefined) return known;
    const text = `,"events":${JSON.stringify(events.map((event) => encodeWatchEvent(event, encoding)))}`;
    cached[encoding] = text;
    return text;
  }
}

/** Numbers in the text as JSON writes them; anything but a non-negative safe integer is a bug upstream. */
function checkedNat(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`WatchResponseEncoder: ${n} is not a non-negative safe integer`);
  }
  return n;
}
