// The dashboard page (web/, bundled into one self-contained HTML page). scripts/build.mjs replaces
// this module's contents with the built page when it bundles dist/vane.mjs; a member run from the
// sources (tests through tsx, Deno) has none and /ui says how to get it.
import type { DashboardPage } from './dashboard.ts';

export const BUILT_DASHBOARD_PAGE: DashboardPage | null = null;
