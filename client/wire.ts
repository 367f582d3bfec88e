// The watch WebSocket's messages as the SDK reads them. The shapes are core/protocol's (imported as
// types only: the SDK does not ship the server's zod schemas to browsers); what a message must hold
// for the SDK to act on it is checked here by hand, and anything else is refused as unreadable.
import type { ResponseHeaderJson } from '../core/protocol/client.ts';
import { PROTOCOL_VERSION } from '../core/protocol/version.ts';
import type { ClientErrorCode } from './errors.ts';
import type { KeyValue, WatchEvent } from './types.ts';

export { PROTOCOL_VERSION };

export type ResponseHeader = ResponseHeaderJson;

export interface ErrorJson {
  readonly code: ClientErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export type ServerMessage =
  | {
      readonly type: 'watchResponse';
      readonly watchId: number;
      readonly header: ResponseHeader;
      readonly events: readonly WatchEvent[];
      readonly created?: boolean;
      readonly canceled?: boolean;
      readonly compactRevision?: number;
      readonly cancelReason?: string;
      /** Sent by the edge tier (server/edge) beside progress answers: how fresh its own state is. */
      readonly edge?: EdgeFreshness;
      /** Sent by a member beside a progress answer while the cluster's leader does not confirm it. */
      readonly freshness?: MemberFreshness;
    }
  | {
      readonly type: 'response';
      readonly id: number;
      readonly header: ResponseHeader;
      readonly body: Readonly<Record<string, unknown>>;
    }
  | {
      readonly type: 'error';
      readonly watchId?: number;
      readonly requestId?: number;
      readonly error: ErrorJson;
    };

/**
 * The edge tier's state is `stale` when the cluster has not confirmed it for `ageMs`. Every endpoint
 * of an edge serves one copy of a prefix, so another edge endpoint would be no fresher.
 */
export interface EdgeFreshness {
  readonly stale: boolean;
  readonly ageMs: number;
}

/**
 * A member's state is `stale` when the cluster's leader has not confirmed it for `ageMs` (it is cut
 * off, or far behind): another member may be current. `reason` is the member's own word for it.
 */
export interface MemberFreshness extends EdgeFreshness {
  readonly reason: string;
}

/** Thrown by the readers below; caught at the message boundary and reported as unreadable. */
export class UnreadableMessage extends Error {}

type Json = Readonly<Record<string, unknown>>;

function fail(what: string): never {
  throw new UnreadableMessage(what);
}

export function object(json: unknown, what: string): Json {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(`${what} is not an object`);
  return json as Json;
}

export function uint(json: unknown, what: string): number {
  if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 0)
    fail(`${what} is not a revision or count`);
  return json;
}

function string(json: unknown, what: string): string {
  if (typeof json !== 'string') fail(`${what} is not a string`);
  return json;
}

function optionalBoolean(json: unknown, what: string): boolean | undefined {
  if (json === undefined) return undefined;
  if (typeof json !== 'boolean') fail(`${what} is not a boolean`);
  return json;
}

export function array(json: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(json)) fail(`${what} is not an array`);
  return json;
}

export function header(json: unknown): ResponseHeader {
  const h = object(json, 'header');
  return {
    revision: uint(h.revision, 'header.revision'),
    member: string(h.member, 'header.member'),
    raftTerm: uint(h.raftTerm, 'header.raftTerm'),
  };
}

function isUint(json: unknown): json is number {
  return typeof json === 'number' && Number.isSafeInteger(json) && json >= 0;
}

/**
 * A key-value as the server sends it. Checked in one pass with no allocation but the result (answers
 * and watch events carry many); only a refused one is checked again, field by field, to say where.
 * `index`: its place in the list `what` names.
 */
export function keyValue(json: unknown, what: string, index?: number): KeyValue {
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const { key, value, createRevision, modRevision, version, lease, valueEncoding } = json as Json;
    if (
      typeof key === 'string' &&
      typeof value === 'string' &&
      isUint(createRevision) &&
      isUint(modRevision) &&
      isUint(version) &&
      isUint(lease)
    ) {
      if (valueEncoding === undefined) return { key, value, createRevision, modRevision, version, lease };
      if (valueEncoding === 'base64')
        return { key, value, createRevision, modRevision, version, lease, valueEncoding };
    }
  }
  return refuseKeyValue(json, index === undefined ? what : `${what}[${index}]`);
}

/** Throws saying what is wrong with a key-value that keyValue() refused. */
function refuseKeyValue(json: unknown, what: string): never {
  const kv = object(json, what);
  string(kv.key, `${what}.key`);
  string(kv.value, `${what}.value`);
  for (const field of ['createRevision', 'modRevision', 'version', 'lease'] as const)
    uint(kv[field], `${what}.${field}`);
  return fail(`${what}.valueEncoding is not 'base64'`);
}

export function keyValues(json: unknown, what: string): KeyValue[] {
  const list = array(json, what);
  const kvs: KeyValue[] = [];
  for (let i = 0; i < list.length; i++) kvs.push(keyValue(list[i], what, i));
  return kvs;
}

function watchEvent(json: unknown, what: string): WatchEvent {
  const event = object(json, what);
  const type = event.type;
  if (type !== 'put' && type !== 'delete') fail(`${what}.type is neither put nor delete`);
  const kv = keyValue(event.kv, `${what}.kv`);
  return event.prevKv === undefined
    ? { type, kv }
    : { type, kv, prevKv: keyValue(event.prevKv, `${what}.prevKv`) };
}

function errorJson(json: unknown): ErrorJson {
  const error = object(json, 'error');
  const base = {
    code: string(error.code, 'error.code') as ClientErrorCode,
    message: string(error.message, 'error.message'),
  };
  if (error.details === undefined) return base;
  return { ...base, details: object(error.details, 'error.details') as ErrorJson['details'] & object };
}

function edgeFreshness(json: unknown, what: string): EdgeFreshness | undefined {
  if (json === undefined) return undefined;
  const freshness = object(json, what);
  if (typeof freshness.stale !== 'boolean') fail(`${what}.stale is not a boolean`);
  const ageMs = freshness.ageMs;
  if (typeof ageMs !== 'number' || !Number.isFinite(ageMs) || ageMs < 0)
    fail(`${what}.ageMs is not a duration in ms`);
  return { stale: freshness.stale, ageMs };
}

/** Longest reason kept from a member's freshness (it goes into error messages). */
const MAX_REASON_LENGTH = 200;

function memberFreshness(json: unknown): MemberFreshness | undefined {
  const freshness = edgeFreshness(json, 'freshness');
  if (freshness === undefined) return undefined;
  const reason = (json as Json).reason;
  if (reason !== undefined && typeof reason !== 'string') fail('freshness.reason is not a string');
  const said = reason === undefined || reason.length === 0 ? 'no reason given' : reason;
  return { ...freshness, reason: said.slice(0, MAX_REASON_LENGTH) };
}

function optionalUint(json: unknown, what: string): number | undefined {
  return json === undefined ? undefined : uint(json, what);
}

/** A server message, or why it cannot be read. */
export function readServerMessage(text: unknown): ServerMessage | UnreadableMessage {
  try {
    if (typeof text !== 'string') fail('a binary frame');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      fail('not JSON');
    }
    const message = object(json, 'message');
    if (message.v !== PROTOCOL_VERSION)
      fail(`protocol version ${String(message.v)} (this SDK speaks ${PROTOCOL_VERSION})`);
    switch (message.type) {
      case 'watchResponse': {
        const watchId = message.watchId;
        if (typeof watchId !== 'number' || !Number.isSafeInteger(watchId) || watchId < -1)
          fail('watchId is not an id');
        return withDefined({
          type: 'watchResponse',
          watchId,
          header: header(message.header),
          events: array(message.events, 'events').map((event, i) => watchEvent(event, `events[${i}]`)),
          created: optionalBoolean(message.created, 'created'),
          canceled: optionalBoolean(message.canceled, 'canceled'),
          compactRevision: optionalUint(message.compactRevision, 'compactRevision'),
          cancelReason:
            message.cancelReason === undefined ? undefined : string(message.cancelReason, 'cancelReason'),
          edge: edgeFreshness(message.edge, 'edge'),
          freshness: memberFreshness(message.freshness),
        });
      }
      case 'response':
        return {
          type: 'response',
          id: uint(message.id, 'id'),
          header: header(message.header),
          body: object(message.body, 'body'),
        };
      case 'error':
        return withDefined({
          type: 'error',
          watchId: optionalUint(message.watchId, 'watchId'),
          requestId: optionalUint(message.requestId, 'requestId'),
          error: errorJson(message.error),
        });
      default:
        return fail(`unknown message type ${JSON.stringify(message.type)}`);
    }
  } catch (error) {
    if (error instanceof UnreadableMessage) return error;
    throw error;
  }
}

/** Drops undefined fields, so optional ones are absent rather than present-but-undefined. */
function withDefined<T extends object>(value: T): T {
  const out = { ...value };
  for (const name of Object.keys(out) as (keyof T)[]) if (out[name] === undefined) delete out[name];
  return out;
}

/** Reads an answer body with `read`, turning an unreadable one into an error the caller reports. */
export function readBody<T>(body: unknown, read: (json: Json) => T): T | UnreadableMessage {
  try {
    return read(object(body, 'body'));
  } catch (error) {
    if (error instanceof UnreadableMessage) return error;
    throw error;
  }
}
