// The Leases view: every lease with its remaining time (counting down between refreshes) and the
// keys attached to it, which go when it expires or is revoked; revoke with a confirm step.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { useNow } from '../components/use-now.ts';
import type { HttpApi, LeaseInfo, RequestFailed } from '../http-api.ts';
import { routeHref } from '../router.ts';

/** Leases whose remaining time and keys are fetched; more are listed by id only. */
export const MAX_DETAILED_LEASES = 100;
/** Time-to-live requests in flight at once. */
const PARALLEL_REQUESTS = 8;
const REFRESH_MS = 2000;
/** Keys listed per lease before "and N more". */
const KEYS_SHOWN = 6;

interface LeaseTable {
  readonly leases: readonly LeaseInfo[];
  /** Leases beyond MAX_DETAILED_LEASES, by id. */
  readonly undetailed: readonly number[];
  readonly fetchedAt: number;
}

async function fetchLeases(api: HttpApi): Promise<LeaseTable> {
  const list = await api.leaseList();
  const detailed = list.slice(0, MAX_DETAILED_LEASES);
  const leases: LeaseInfo[] = [];
  for (let i = 0; i < detailed.length; i += PARALLEL_REQUESTS) {
    const batch = await Promise.all(
      detailed.slice(i, i + PARALLEL_REQUESTS).map((l) => api.leaseTimeToLive(l.id)),
    );
    // A lease that expired between the list and its time-to-live answers -1: it is gone.
    leases.push(...batch.filter((l) => l.ttl >= 0));
  }
  return { leases, undetailed: list.slice(MAX_DETAILED_LEASES).map((l) => l.id), fetchedAt: Date.now() };
}

export function LeasesView({ api }: { api: HttpApi }) {
  const [table, setTable] = useState<LeaseTable | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow(500);
  const refresh = useCallback(async () => {
    try {
      setTable(await fetchLeases(api));
      setError(null);
    } catch (failure) {
      setError((failure as RequestFailed).message);
    }
  }, [api]);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(loop, REFRESH_MS);
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh]);

  const revoke = async (lease: LeaseInfo) => {
    try {
      const revision = await api.leaseRevoke(lease.id);
      const keys = lease.keys.length === 1 ? '1 key was' : `${lease.keys.length} keys were`;
      setNotice(`Lease ${lease.id} revoked at revision ${revision}; its ${keys} deleted.`);
      await refresh();
    } catch (failure) {
      setError(`revoking lease ${lease.id} failed: ${(failure as RequestFailed).message}`);
    }
  };

  return (
    <section class="card">
      <header>
        <h2>Leases</h2>
        <span class="spacer" />
        <span class="muted small">keys attached to a lease are deleted when it expires or is revoked</span>
      </header>
      {error !== null && <div class="banner error">{error}</div>}
      {notice !== null && <div class="banner ok">{notice}</div>}
      {table === null ? (
        <div class="empty">Loading leases…</div>
      ) : table.leases.length === 0 ? (
        <div class="empty">
          No leases. Services register with a lease (client.register) so that they vanish when they stop.
        </div>
      ) : (
        <table data-testid="leases">
          <thead>
            <tr>
              <th>Lease</th>
              <th class="num">Granted TTL</th>
              <th style={{ width: '28%' }}>Remaining</th>
              <th>Attached keys</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {table.leases.map((lease) => {
              const remaining = Math.max(0, lease.ttl - (now - table.fetchedAt) / 1000);
              const share = lease.grantedTtl === 0 ? 0 : Math.min(1, remaining / lease.grantedTtl);
              return (
                <tr key={lease.id} data-lease={lease.id}>
                  <td class="mono">{lease.id}</td>
                  <td class="num">{lease.grantedTtl} s</td>
                  <td>
                    <div class="row" style={{ flexWrap: 'nowrap' }}>
                      <div class="rollout-bar" style={{ flex: 1 }}>
                        <div
                          style={{
                            width: `${share * 100}%`,
                            background: share < 0.25 ? 'var(--candidate)' : 'var(--leader)',
                          }}
                        />
                      </div>
                      <span class="mono" style={{ minWidth: '3.5rem', textAlign: 'right' }}>
                        {Math.ceil(remaining)} s
                      </span>
                    </div>
                  </td>
                  <td class="mono small">
                    {lease.keys.length === 0 && <span class="muted">none</span>}
                    {lease.keys.slice(0, KEYS_SHOWN).map((key) => (
                      <div key={key}>
                        <a href={routeHref({ view: 'keys', key })}>{key}</a>
                      </div>
                    ))}
                    {lease.keys.length > KEYS_SHOWN && (
                      <div class="muted">and {lease.keys.length - KEYS_SHOWN} more</div>
                    )}
                  </td>
                  <td style={{ textAlign: 'right' }}>
                    <ConfirmButton
                      confirm={`Revoke and delete ${lease.keys.length} key${lease.keys.length === 1 ? '' : 's'}`}
                      onConfirm={() => revoke(lease)}
                    >
                      Revoke
                    </ConfirmButton>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {table !== null && table.undetailed.length > 0 && (
        <p class="muted small">
          {table.undetailed.length} more leases not detailed (the first {MAX_DETAILED_LEASES} are):{' '}
          {table.undetailed.slice(0, 50).join(', ')}
          {table.undetailed.length > 50 ? ', …' : ''}
        </p>
      )}
    </section>
  );
}
