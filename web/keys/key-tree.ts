// The keys under a prefix as a tree split on '/', the way people name config keys
// (`services/api/limits`). A name can be a key and a folder at once: `flags/beta` and `flags/beta/x`.

export interface KeyTreeNode {
  /** The segment shown for this node ('' for the root). */
  readonly name: string;
  /** The prefix of everything below this node, ending in '/' (the root: the prefix it was built for). */
  readonly prefix: string;
  /** The key this node stands for, when that key exists. */
  readonly key: string | null;
  /** Folders and keys one level down, by name. */
  readonly children: readonly KeyTreeNode[];
  /** Keys at or below this node. */
  readonly keyCount: number;
}

interface MutableNode {
  name: string;
  prefix: string;
  key: string | null;
  children: Map<string, MutableNode>;
}

const SEPARATOR = '/';

/** The tree of `keys` (each starting with `root`) below `root`. */
export function buildKeyTree(keys: Iterable<string>, root: string): KeyTreeNode {
  const top: MutableNode = { name: '', prefix: root, key: null, children: new Map() };
  for (const key of keys) {
    if (!key.startsWith(root)) throw new Error(`buildKeyTree: key '${key}' is not under '${root}'`);
    const parts = key.slice(root.length).split(SEPARATOR);
    let node = top;
    for (const part of parts) {
      let child = node.children.get(part);
      if (child === undefined) {
        child = { name: part, prefix: `${node.prefix}${part}${SEPARATOR}`, key: null, children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    if (key === root) top.key = key;
    else node.key = key;
  }
  return freeze(top);
}

function freeze(node: MutableNode): KeyTreeNode {
  const children = [...node.children.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(freeze);
  const below = children.reduce((sum, child) => sum + child.keyCount, 0);
  return {
    name: node.name,
    prefix: node.prefix,
    key: node.key,
    children,
    keyCount: below + (node.key === null ? 0 : 1),
  };
}
