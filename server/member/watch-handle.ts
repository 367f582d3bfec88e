import type { VaneError } from '../../core/errors.ts';
import type { KvStore, WatchRequest } from '../../core/store/index.ts';
import type { WatchHandle } from './api.ts';

/** A watch on the store's hub, as the client API consumes it. */
export function watchStore(
  store: KvStore,
  request: WatchRequest,
  onReady: () => void,
): WatchHandle | VaneError {
  const watcher = store.watch(request, onReady);
  if ('code' in watcher) return watcher;
  return {
    watchId: watcher.id,
    take: (max) => watcher.take(max),
    get ready() {
      return watcher.ready;
    },
    requestProgress: () => store.watches.progress(watcher.id),
    cancel: () => watcher.cancel(),
  };
}
