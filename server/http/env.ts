// Per-request variables the app's middleware and handlers share.
import type { Principal } from '../auth/index.ts';
import type { MemberApi } from '../member/index.ts';

export interface AppEnv {
  readonly Variables: {
    /** False when no route matched; the request metrics then say 'unmatched' rather than a pattern. */
    routeMatched: boolean;
    /** Who the request's token says it is (null: no token, or auth disabled). Set for /v1 routes. */
    principal: Principal | null;
    /** The member as this request may use it (every call checked); routes reach the member only through it. */
    api: MemberApi;
  };
}
