// The keys under a prefix as a tree, listed through the SDK and listed again (throttled) when a
// watch of the prefix sees a write; folders open and close, a key opens in the Keys view.
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';
import { buildKeyTree, type KeyTreeNode } from './key-tree.ts';

/** Keys listed in the tree at most; past it the view asks for a narrower prefix. */
export const MAX_BROWSE_KEYS = 1000;
/** A burst of writes under the prefix re-lists it at most this often. */
const RELIST_THROTTLE_MS = 1000;
/** Typing in the prefix field lists after this pause. */
const PREFIX_DEBOUNCE_MS = 250;

interface Listing {
  readonly prefix: string;
  readonly tree: KeyTreeNode;
  readonly more: boolean;
  readonly revision: number;
}

export function KeyBrowser({ selected, onNew }: { selected: string | null; onNew: () => void }) {
  const { client } = useSession();
  const [typed, setTyped] = useState('');
  const [prefix, setPrefix] = useState('');
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(ancestorsOf(selected)));

  useEffect(() => setExpanded((open) => new Set([...open, ...ancestorsOf(selected)])), [selected]);

  useEffect(() => {
    const timer = setTimeout(() => setPrefix(typed), PREFIX_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  useEffect(() => {
    let stopped = false;
    let pending: ReturnType<typeof setTimeout> | undefined;
    let lastList = 0;
    const list = async () => {
      lastList = Date.now();
      try {
        const result = await client.range({
          key: prefix,
          prefix: true,
          keysOnly: true,
          limit: MAX_BROWSE_KEYS,
        });
        if (stopped) return;
        setListing({
          prefix,
          tree: buildKeyTree(
            result.kvs.map((kv) => kv.key),
            prefix,
          ),
          more: result.more,
          revision: result.revision,
        });
        setError(null);
      } catch (failure) {
        if (!stopped) setError((failure as Error).message);
      }
    };
    // Any write under the prefix may add or remove a key: list again, at most once a second.
    const watch = client.watch({ key: prefix, prefix: true }, () => {
      if (pending !== undefined) return;
      pending = setTimeout(
        () => {
          pending = undefined;
          void list();
        },
        Math.max(0, lastList + RELIST_THROTTLE_MS - Date.now()),
      );
    });
    void list();
    return () => {
      stopped = true;
      clearTimeout(pending);
      watch.close();
    };
  }, [client, prefix]);

  const toggle = (node: KeyTreeNode) => {
    const next = new Set(expanded);
    if (next.has(node.prefix)) next.delete(node.prefix);
    else next.add(node.prefix);
    setExpanded(next);
  };

  return (
    <section class="card">
      <header>
        <h2>Keys</h2>
        <span class="spacer" />
        <button type="button" class="primary" onClick={onNew}>
          New key
        </button>
      </header>
      <input
        type="search"
        placeholder="prefix, e.g. config/"
        value={typed}
        onInput={(e) => setTyped(e.currentTarget.value)}
        style={{ width: '100%', marginBottom: '0.6rem' }}
        aria-label="key prefix"
      />
      {error !== null && <div class="banner error">{error}</div>}
      {listing === null ? (
        <div class="empty">Listing…</div>
      ) : listing.tree.keyCount === 0 ? (
        <div class="empty">No keys {listing.prefix === '' ? 'yet' : `under ${listing.prefix}`}.</div>
      ) : (
        <>
          <p class="muted small" style={{ margin: '0 0 0.4rem' }}>
            {listing.tree.keyCount} key{listing.tree.keyCount === 1 ? '' : 's'} at revision {listing.revision}
            {listing.more && ` (the first ${MAX_BROWSE_KEYS}: narrow the prefix to see the rest)`}
          </p>
          <div class="tree" data-testid="key-tree">
            <TreeLevel
              nodes={withRootKey(listing.tree)}
              selected={selected}
              expanded={expanded}
              onToggle={toggle}
            />
          </div>
        </>
      )}
    </section>
  );
}

/** The prefix itself, when it is a key, is listed first among its children. */
function withRootKey(root: KeyTreeNode): readonly KeyTreeNode[] {
  return root.key === null ? root.children : [{ ...root, name: root.key, children: [] }, ...root.children];
}

function TreeLevel(props: {
  nodes: readonly KeyTreeNode[];
  selected: string | null;
  expanded: ReadonlySet<string>;
  onToggle: (node: KeyTreeNode) => void;
}) {
  return (
    <ul>
      {props.nodes.map((node) => {
        const folder = node.children.length > 0;
        const open = props.expanded.has(node.prefix);
        return (
          <li key={node.prefix}>
            <button
              type="button"
              class={`node${node.key !== null && node.key === props.selected ? ' selected' : ''}`}
              data-key={node.key ?? undefined}
              onClick={() => {
                if (node.key !== null) navigate({ view: 'keys', key: node.key });
                if (folder) props.onToggle(node);
              }}
            >
              <span style={{ width: '0.8rem', display: 'inline-block' }}>
                {folder ? (open ? '▾' : '▸') : ''}
              </span>
              <span>{node.name === '' ? '(empty)' : node.name}</span>
              {folder && <span class="count">{node.keyCount}</span>}
            </button>
            {folder && open && (
              <TreeLevel
                nodes={node.children}
                selected={props.selected}
                expanded={props.expanded}
                onToggle={props.onToggle}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The folder prefixes above a key ('a/b/c' → 'a/', 'a/b/'), opened so that the key shows. */
function ancestorsOf(key: string | null): string[] {
  if (key === null) return [];
  const parts = key.split('/');
  return parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('/')}/`);
}
