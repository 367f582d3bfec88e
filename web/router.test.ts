import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoute, type Route, routeHref } from './router.ts';

describe('routes', () => {
  test('a key with slashes and spaces survives the round trip through the URL hash', () => {
    const route: Route = { view: 'keys', key: 'services/api gateway/limits' };
    assert.equal(routeHref(route), '#/keys/services%2Fapi%20gateway%2Flimits');
    assert.deepEqual(parseRoute(routeHref(route)), route);
  });

  test('an unknown or empty hash opens the cluster view', () => {
    assert.deepEqual(parseRoute(''), { view: 'cluster' });
    assert.deepEqual(parseRoute('#/nowhere'), { view: 'cluster' });
  });

  test('views without a parameter', () => {
    for (const view of ['watch', 'leases', 'cluster'] as const)
      assert.deepEqual(parseRoute(routeHref({ view })), { view });
    assert.deepEqual(parseRoute('#/flags'), { view: 'flags', flag: null });
  });
});
