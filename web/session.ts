// What every view works with: the client SDK (the dashboard is its first real user), the few routes
// the SDK lacks (http-api.ts), and the token both send. Both are given every member's client URL, the
// one that served the page first, so that the page keeps working when that member dies. A new token
// makes a new session (the members are asked again with it); the old client is closed.
import { createContext } from 'preact';
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Client, type ClientStatus, createClient } from '../client/index.ts';
import { AUTH_ERROR_CODES, createHttpApi, type HttpApi } from './http-api.ts';

export interface Session {
  readonly client: Client;
  readonly api: HttpApi;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession: no SessionContext above this component');
  return session;
}

/**
 * The session for `token`, made once per token and closed when it changes or the app goes; null
 * while the members are being asked for their client URLs (a few milliseconds). `onAuthFailure`
 * hears the cluster refuse the token (on any request or on the live connection).
 */
export function useSessionFor(
  origin: string,
  token: string,
  onAuthFailure: (message: string) => void,
): Session | null {
  const listener = useRef(onAuthFailure);
  listener.current = onAuthFailure;
  // The list is state, so its identity changes only when the members are asked again.
  const endpoints = useEndpoints(origin, token);
  const session = useMemo(() => {
    if (endpoints === null) return null;
    return {
      client: createClient({ endpoints, ...(token === '' ? {} : { token }) }),
      api: createHttpApi(
        endpoints,
        () => token,
        (message) => listener.current(message),
      ),
    };
  }, [endpoints, token]);
  useEffect(
    () =>
      session?.client.on('error', (error) => {
        if (AUTH_ERROR_CODES.has(error.code)) listener.current(error.message);
      }),
    [session],
  );
  useEffect(() => () => session?.client.close(), [session]);
  return session;
}

/**
 * Every member's client URL, `origin` first, asked of `origin` with `token`; just `origin` when the
 * list cannot be had (the token is refused: the login will say so). Null until the answer for this
 * token comes.
 */
function useEndpoints(origin: string, token: string): readonly string[] | null {
  const [found, setFound] = useState<{ token: string; endpoints: readonly string[] } | null>(null);
  useEffect(() => {
    let stopped = false;
    const ask = createHttpApi(
      [origin],
      () => token,
      () => undefined,
    );
    ask.memberUrls().then(
      (urls) => !stopped && setFound({ token, endpoints: endpointsOf(origin, urls) }),
      () => !stopped && setFound({ token, endpoints: [origin] }),
    );
    return () => {
      stopped = true;
    };
  }, [origin, token]);
  return found !== null && found.token === token ? found.endpoints : null;
}

/** `origin`, then the other members' URLs (without a trailing slash) by member id. */
export function endpointsOf(origin: string, memberUrls: ReadonlyMap<string, string>): string[] {
  const others = [...memberUrls]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, url]) => url.replace(/\/+$/, ''))
    .filter((url) => url !== origin);
  return [origin, ...new Set(others)];
}

/** How often the shown status is re-read: its revision moves without a 'status' event. */
const STATUS_REFRESH_MS = 1000;

/** The client's connection state, kept current. */
export function useClientStatus(client: Client): ClientStatus {
  const [status, setStatus] = useState(client.status);
  useEffect(() => {
    setStatus(client.status);
    const timer = setInterval(() => setStatus(client.status), STATUS_REFRESH_MS);
    const unsubscribe = client.on('status', setStatus);
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [client]);
  return status;
}
