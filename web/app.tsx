// The dashboard's frame: the top bar (views, connection state, login) and the view the URL names.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ClusterView } from './cluster/cluster-view.tsx';
import { useClusterHistory } from './cluster/use-cluster-history.ts';
import { FlagsView } from './flags/flags-view.tsx';
import type { AuthStatus } from './http-api.ts';
import { KeysView } from './keys/keys-view.tsx';
import { LeasesView } from './leases/leases-view.tsx';
import { type Route, routeHref, useRoute, type ViewName } from './router.ts';
import { type Session, SessionContext, useClientStatus, useSession, useSessionFor } from './session.ts';
import { loadToken, saveToken } from './token.ts';
import { WatchView } from './watch/watch-view.tsx';

const VIEWS: readonly { view: ViewName; title: string; route: Route }[] = [
  { view: 'cluster', title: 'Cluster', route: { view: 'cluster' } },
  { view: 'keys', title: 'Keys', route: { view: 'keys', key: null } },
  { view: 'watch', title: 'Watch', route: { view: 'watch' } },
  { view: 'flags', title: 'Flags', route: { view: 'flags', flag: null } },
  { view: 'leases', title: 'Leases', route: { view: 'leases' } },
];

export function App() {
  const route = useRoute();
  const [token, setToken] = useState(loadToken);
  const [authProblem, setAuthProblem] = useState<string | null>(null);
  const session = useSessionFor(location.origin, token, (message) =>
    setAuthProblem(`The cluster refused the request: ${message}`),
  );
  const authStatus = useAuthStatus(session, setAuthProblem);
  const cluster = useClusterHistory(session?.api ?? null);
  const [loginOpen, setLoginOpen] = useState(false);
  const login = (next: string) => {
    saveToken(next);
    setToken(next);
    setAuthProblem(null);
    setLoginOpen(false);
  };
  return (
    <SessionContext.Provider value={session}>
      <nav class="topbar">
        <div class="brand">
          <Logo />
          Vane
        </div>
        <div class="nav">
          {VIEWS.map((v) => (
            <a key={v.view} href={routeHref(v.route)} class={route.view === v.view ? 'active' : ''}>
              {v.title}
            </a>
          ))}
        </div>
        <span class="spacer" />
        {session !== null && <ConnectionBadge />}
        <button type="button" onClick={() => setLoginOpen(!loginOpen)} data-testid="login-button">
          {token === '' ? 'Log in' : authStatus?.subject ? `Token: ${authStatus.subject}` : 'Token set'}
        </button>
      </nav>
      <main>
        {(loginOpen || authProblem !== null) && (
          <Login
            token={token}
            problem={authProblem}
            onLogin={login}
            onCancel={() => {
              setLoginOpen(false);
              setAuthProblem(null);
            }}
          />
        )}
        {session === null ? (
          <div class="card empty">Asking the cluster for its members…</div>
        ) : (
          <>
            {route.view === 'cluster' && <ClusterView cluster={cluster} />}
            {route.view === 'keys' && <KeysView selected={route.key} />}
            {route.view === 'watch' && <WatchView />}
            {route.view === 'flags' && <FlagsView selected={route.flag} />}
            {route.view === 'leases' && <LeasesView api={session.api} />}
          </>
        )}
      </main>
    </SessionContext.Provider>
  );
}

/**
 * The cluster's auth status for this session. With auth enabled and no token, `onTokenNeeded` hears
 * it at once: the cluster view is readable without one, but keys, flags and leases are not.
 */
function useAuthStatus(session: Session | null, onTokenNeeded: (message: string) => void): AuthStatus | null {
  const [status, setStatus] = useState<AuthStatus | null>(null);
  const listener = useRef(onTokenNeeded);
  listener.current = onTokenNeeded;
  useEffect(() => {
    setStatus(null);
    if (session === null) return;
    let stopped = false;
    session.api.authStatus().then(
      (found) => {
        if (stopped) return;
        setStatus(found);
        if (found.enabled && found.subject === null) {
          listener.current(
            'This cluster has auth enabled: give a token (from `vane token create`, or the admin token `vane auth enable` printed).',
          );
        }
      },
      // A refused token already opened the login; without an answer there is nothing to show.
      () => undefined,
    );
    return () => {
      stopped = true;
    };
  }, [session]);
  return status;
}

const STATE_DOTS = { live: '', connecting: 'warn', stale: 'warn', offline: 'bad' } as const;

/** The SDK connection's state (live, stale, connecting, offline); its details in the tooltip. */
function ConnectionBadge() {
  const status = useClientStatus(useSession().client);
  const details = [
    status.endpoint === undefined ? 'no endpoint yet' : `connected to ${status.endpoint}`,
    `newest revision seen ${status.revision}`,
    ...(status.lagMs === undefined ? [] : [`not confirmed for ${Math.round(status.lagMs / 1000)} s`]),
  ].join(' · ');
  return (
    <span class="connection" data-testid="connection" data-state={status.state} title={details}>
      <span class={`dot ${STATE_DOTS[status.state]}`} />
      {status.state}
    </span>
  );
}

function Login(props: {
  token: string;
  problem: string | null;
  onLogin: (token: string) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(props.token);
  return (
    <form
      class="card login"
      data-testid="login"
      onSubmit={(event) => {
        event.preventDefault();
        props.onLogin(draft.trim());
      }}
    >
      <header>
        <h2>Access token</h2>
      </header>
      {props.problem !== null && <div class="banner error">{props.problem}</div>}
      <p class="muted small">
        Sent as <code>Authorization: Bearer</code> on requests and as <code>?token=</code> on the live
        connection. Kept in this tab only.
      </p>
      <div class="row">
        <input
          type="password"
          name="token"
          autocomplete="off"
          placeholder="token"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          style={{ flex: 1 }}
        />
        <button type="submit" class="primary">
          Use token
        </button>
        {props.token !== '' && (
          <button type="button" onClick={() => props.onLogin('')}>
            Forget
          </button>
        )}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M12 2 L14 12 L12 22 L10 12 Z" fill="#8fb0ff" />
      <path d="M2 12 L12 10 L22 12 L12 14 Z" fill="#fff" opacity="0.8" />
      <circle cx="12" cy="12" r="2" fill="#172036" stroke="#fff" stroke-width="1.2" />
    </svg>
  );
}
