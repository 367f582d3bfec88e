// Per-request variables the app's middleware and handlers share.
export interface AppEnv {
  readonly Variables: {
    /** False when no route matched; the request metrics then say 'unmatched' rather than a pattern. */
    routeMatched: boolean;
  };
}
