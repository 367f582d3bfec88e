// The dashboard's views live in the URL's hash (#/keys/flags%2Fbeta), so that a view can be
// bookmarked and reloaded and every member serves the same single page.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly view: 'cluster' }
  | { readonly view: 'keys'; readonly key: string | null }
  | { readonly view: 'watch' }
  | { readonly view: 'flags'; readonly flag: string | null }
  | { readonly view: 'leases' };

export type ViewName = Route['view'];

export function parseRoute(hash: string): Route {
  const [view = '', ...rest] = hash.replace(/^#\/?/, '').split('/');
  const param = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
  switch (view) {
    case 'keys':
      return { view: 'keys', key: param };
    case 'watch':
      return { view: 'watch' };
    case 'flags':
      return { view: 'flags', flag: param };
    case 'leases':
      return { view: 'leases' };
    default:
      return { view: 'cluster' };
  }
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'keys':
      return route.key === null ? '#/keys' : `#/keys/${encodeURIComponent(route.key)}`;
    case 'flags':
      return route.flag === null ? '#/flags' : `#/flags/${encodeURIComponent(route.flag)}`;
    default:
      return `#/${route.view}`;
  }
}

export function navigate(route: Route): void {
  location.hash = routeHref(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
