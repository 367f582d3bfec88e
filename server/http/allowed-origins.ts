// Which browser origins may call a member's client API (CORS) and open its watch socket: those given
// by --cors-origins, and always the cluster's own members' client URLs (read from the members table
// on each request, so added members count), so that a dashboard served by one member keeps working
// through the others when that member dies.
import type { MemberInfo } from '../member/index.ts';

/** Allows `origin` (a browser's Origin header, e.g. 'http://127.0.0.1:2379'). */
export type OriginPolicy = (origin: string) => boolean;

/** `configured` is --cors-origins; '*' in it allows any origin. */
export function allowedOrigins(
  members: () => readonly MemberInfo[],
  configured: readonly string[],
): OriginPolicy {
  if (configured.includes('*')) return () => true;
  const listed = new Set(configured);
  return (origin) => listed.has(origin) || members().some((m) => originOf(m.clientUrl) === origin);
}

/** The origin of a member's client URL; none while it has not published one (or it is malformed). */
function originOf(clientUrl: string): string | null {
  if (!URL.canParse(clientUrl)) return null;
  return new URL(clientUrl).origin;
}
