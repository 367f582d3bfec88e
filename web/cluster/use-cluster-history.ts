// Polls every member's status once a second (through whichever member answers) into a
// ClusterHistory, for as long as the dashboard is open, so that the timeline also covers the time
// spent in other views. One request at a time, never overlapping.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HttpApi, RequestFailed } from '../http-api.ts';
import { ClusterHistory } from './cluster-history.ts';

export const POLL_INTERVAL_MS = 1000;

export interface ClusterHistoryState {
  readonly history: ClusterHistory;
  /** Changes after every poll, so that components can depend on it. */
  readonly version: number;
  /** Why the last poll failed, until one succeeds. */
  readonly error: RequestFailed | null;
}

/** `api` is null while there is no session yet: nothing is polled. */
export function useClusterHistory(api: HttpApi | null): ClusterHistoryState {
  const history = useRef(new ClusterHistory()).current;
  const [state, setState] = useState<{ version: number; error: RequestFailed | null }>({
    version: 0,
    error: null,
  });
  useEffect(() => {
    if (api === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let error: RequestFailed | null = null;
      try {
        history.record(await api.clusterStatus());
      } catch (failure) {
        error = failure as RequestFailed;
      }
      if (stopped) return;
      setState((s) => ({ version: s.version + 1, error }));
      timer = setTimeout(poll, POLL_INTERVAL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, history]);
  return { history, ...state };
}
