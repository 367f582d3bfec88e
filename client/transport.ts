// What the client needs from "the connection": send a request and get its answer, keep watches
// open across reconnects, report the connection's status. The WebSocket connection
// (connection.ts) is one implementation; a transport that lets the tabs of one browser origin share
// one connection is another. Everything above this interface is the same for both.
import type { RequestOpName } from '../core/protocol/client.ts';
import type { VaneClientError } from './errors.ts';
import type { ClientStatus, WatchBatch } from './types.ts';
import type { ResponseHeader } from './wire.ts';

export type { RequestOpName };

export interface RequestAnswer {
  readonly header: ResponseHeader;
  /** The op's HTTP answer without its header (e.g. { kvs, more, count } for range). */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface RequestOptions {
  /** Give up (reject with 'timeout') after this long; the default is the client's requestTimeoutMs. */
  readonly timeoutMs?: number;
}

export interface WatchSpec {
  readonly key: string;
  /** Every key starting with `key`. */
  readonly prefix?: boolean;
  /** End of the range, exclusive (instead of prefix). */
  readonly rangeEnd?: string;
  /** First revision to deliver; absent or 0: the next write. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
}

export interface WatchListener {
  /** The events of one revision; revisions arrive in increasing order, each once, across reconnects. */
  onEvents(batch: WatchBatch): void;
  /** Every event up to `revision` has been delivered (the watch is caught up to it). */
  onProgress?(revision: number): void;
  /** The watch ended: the history it needs is compacted up to `compactRevision`. */
  onCompacted(compactRevision: number): void;
  /** The watch ended: the server refused it. */
  onError(error: VaneClientError): void;
}

export interface WatchSubscription {
  close(): void;
}

export interface Transport {
  readonly status: ClientStatus;
  onStatus(listener: (status: ClientStatus) => void): () => void;
  /**
   * Runs a request, retrying it on another connection or member when that is safe (a write's body
   * carries its requestId, so a retry applies once); rejects with a VaneClientError.
   */
  request(
    op: RequestOpName,
    body: Readonly<Record<string, unknown>>,
    options?: RequestOptions,
  ): Promise<RequestAnswer>;
  /** Opens a watch that resumes after a reconnect from the revision after the last one delivered. */
  watch(spec: WatchSpec, listener: WatchListener): WatchSubscription;
  /** Rejects pending requests with 'closed' and ends every watch without telling its listener. */
  close(): void;
}

/** What a client hands a transport it has the transport build (see TransportFactory). */
export interface TransportHooks {
  /** Reports what went wrong underneath (refused credentials, unreadable messages) on client.on('error'). */
  onError(error: VaneClientError): void;
}

/** Builds the client's transport; the client then owns it and closes it with client.close(). */
export type TransportFactory = (hooks: TransportHooks) => Transport;
