// Every response says which revision it reflects and which member served it: in the JSON body's
// `header`, and in HTTP headers (so a client can read them without parsing, e.g. for a snapshot).
import type { Context } from 'hono';
import type { ResponseMeta } from '../../core/protocol/index.ts';
import type { MemberApi, ResponseHeader } from '../member/index.ts';

export const REVISION_HEADER = 'X-Vane-Revision';
export const MEMBER_HEADER = 'X-Vane-Member';

export function setHeaderFields(c: Context, header: ResponseHeader): void {
  c.header(REVISION_HEADER, String(header.revision));
  c.header(MEMBER_HEADER, header.member);
}

/** What the protocol's response encoders need besides the response's own revision. */
export function responseMeta(member: MemberApi): ResponseMeta {
  const header = member.header();
  return { member: header.member, raftTerm: header.raftTerm };
}

/** A successful JSON answer, built by a core/protocol encoder. */
export function replyJson<T extends { readonly header: ResponseHeader }>(c: Context, body: T): Response {
  setHeaderFields(c, body.header);
  return c.json(body, 200);
}
