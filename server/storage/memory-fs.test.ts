import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryFileSystem } from './memory-fs.ts';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

async function setUp(): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  await fs.writeFileDurable('/d/a', bytes(1, 2));
  await fs.syncDir('/d');
  return fs;
}

describe('in-memory file system crashes', () => {
  it('lose bytes appended since the last sync, or keep a prefix of them', async () => {
    const fs = await setUp();
    const file = await fs.openAppend('/d/a');
    await file.append([bytes(3), bytes(4, 5)]);
    await file.sync();
    await file.append([bytes(6, 7, 8)]);
    fs.crash({ bytesKept: (_, unsynced) => unsynced - 1 });
    assert.deepEqual(await fs.readFile('/d/a'), bytes(1, 2, 3, 4, 5, 6, 7));
    fs.crash();
    assert.deepEqual(
      await fs.readFile('/d/a'),
      bytes(1, 2, 3, 4, 5, 6, 7),
      'what survived a crash is on disk',
    );
    await assert.rejects(file.append([bytes(9)]), /from before a crash/);
  });

  it('write a durable file given in chunks as the chunks one after the other', async () => {
    const fs = await setUp();
    await fs.writeFileDurable('/d/b', [bytes(1), bytes(), bytes(2, 3)]);
    await fs.syncDir('/d');
    fs.crash();
    assert.deepEqual(await fs.readFile('/d/b'), bytes(1, 2, 3));
  });

  it('lose new, renamed and removed directory entries until the directory is synced', async () => {
    const fs = await setUp();
    await fs.writeFileDurable('/d/b', bytes(9));
    await fs.rename('/d/a', '/d/c');
    fs.crash();
    assert.deepEqual(await fs.list('/d'), ['a']);
    await fs.writeFileDurable('/d/b', bytes(9));
    await fs.unlink('/d/a');
    await fs.syncDir('/d');
    fs.crash();
    assert.deepEqual(await fs.list('/d'), ['b']);
  });

  it('may keep some unsynced entry changes and not others', async () => {
    const fs = await setUp();
    await fs.writeFileDurable('/d/b', bytes(1));
    await fs.unlink('/d/a');
    fs.crash({ entryKept: (path) => path === '/d/b' });
    assert.deepEqual(await fs.list('/d'), ['a', 'b']);
  });

  it('bring back synced bytes that an unsynced truncation removed', async () => {
    const fs = await setUp();
    await fs.truncate('/d/a', 1);
    assert.deepEqual(await fs.readFile('/d/a'), bytes(1));
    fs.crash();
    assert.deepEqual(await fs.readFile('/d/a'), bytes(1, 2));
  });

  it('create a file exclusively only once', async () => {
    const fs = await setUp();
    assert.equal(await fs.createExclusive('/d/LOCK', bytes(1)), true);
    assert.equal(await fs.createExclusive('/d/LOCK', bytes(2)), false);
    assert.deepEqual(await fs.readFile('/d/LOCK'), bytes(1));
  });
});
