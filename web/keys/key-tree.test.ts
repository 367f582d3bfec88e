import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildKeyTree, type KeyTreeNode } from './key-tree.ts';

/** The tree as indented lines: a folder shows its key count, a key is marked with '•'. */
function outline(node: KeyTreeNode, depth = 0): string[] {
  const self =
    depth === 0
      ? []
      : [
          `${'  '.repeat(depth - 1)}${node.key !== null ? '• ' : ''}${node.name}${node.children.length > 0 ? ` (${node.keyCount})` : ''}`,
        ];
  return [...self, ...node.children.flatMap((child) => outline(child, depth + 1))];
}

describe('buildKeyTree', () => {
  test('splits keys on / into folders sorted by name, with key counts', () => {
    const tree = buildKeyTree(
      ['services/web/limits', 'flags/beta', 'services/api/limits', 'services/api/url'],
      '',
    );
    assert.deepEqual(outline(tree), [
      'flags (1)',
      '  • beta',
      'services (3)',
      '  api (2)',
      '    • limits',
      '    • url',
      '  web (1)',
      '    • limits',
    ]);
    assert.equal(tree.keyCount, 4);
  });

  test('a name that is a key and a folder at once is one node carrying the key', () => {
    const tree = buildKeyTree(['flags/beta', 'flags/beta/rules'], 'flags/');
    assert.equal(tree.children.length, 1);
    const beta = tree.children[0]!;
    assert.equal(beta.key, 'flags/beta');
    assert.equal(beta.prefix, 'flags/beta/');
    assert.equal(beta.children[0]!.key, 'flags/beta/rules');
    assert.equal(beta.keyCount, 2);
  });

  test('the prefix itself, when it is a key, belongs to the root', () => {
    const tree = buildKeyTree(['app', 'app/x'], 'app');
    assert.equal(tree.key, 'app');
    assert.equal(tree.keyCount, 2);
  });

  test('refuses a key outside the prefix it was asked to build under', () => {
    assert.throws(() => buildKeyTree(['other'], 'flags/'), /not under 'flags\/'/);
  });
});
