import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type EventFilter,
  EventLog,
  MAX_HELD_EVENTS,
  MAX_SHOWN_EVENTS,
  type NewWatchEntry,
} from './event-log.ts';

const ALL: EventFilter = { text: '', puts: true, deletes: true };
const put = (revision: number, key: string, value = 'v'): NewWatchEntry => ({
  revision,
  type: 'put',
  key,
  value,
  prevValue: null,
  at: revision,
});
const del = (revision: number, key: string): NewWatchEntry => ({
  revision,
  type: 'delete',
  key,
  value: null,
  prevValue: 'old',
  at: revision,
});

describe('EventLog', () => {
  test('shows events newest first', () => {
    const log = new EventLog();
    log.add([put(1, 'a'), put(2, 'b')]);
    log.add([del(3, 'a')]);
    assert.deepEqual(
      log.visible(ALL).map((e) => [e.revision, e.type, e.key]),
      [
        [3, 'delete', 'a'],
        [2, 'put', 'b'],
        [1, 'put', 'a'],
      ],
    );
  });

  test('while paused, events wait and the list does not move; resume shows them', () => {
    const log = new EventLog();
    log.add([put(1, 'a')]);
    log.pause();
    log.add([put(2, 'b'), put(3, 'c')]);
    assert.deepEqual(
      log.visible(ALL).map((e) => e.revision),
      [1],
    );
    assert.equal(log.heldCount, 2);
    log.resume();
    assert.deepEqual(
      log.visible(ALL).map((e) => e.revision),
      [3, 2, 1],
    );
    assert.equal(log.heldCount, 0);
  });

  test('a long pause keeps the newest MAX_HELD_EVENTS waiting and counts the dropped ones', () => {
    const log = new EventLog();
    log.pause();
    log.add(Array.from({ length: MAX_HELD_EVENTS + 7 }, (_, i) => put(i + 1, 'k')));
    assert.equal(log.heldCount, MAX_HELD_EVENTS);
    assert.equal(log.droppedWhilePaused, 7);
    log.resume();
    const shown = log.visible(ALL);
    assert.equal(shown.length, MAX_SHOWN_EVENTS);
    assert.equal(shown[0]!.revision, MAX_HELD_EVENTS + 7);
  });

  test('filters by text in the key or value (any case) and by type', () => {
    const log = new EventLog();
    log.add([put(1, 'flags/Beta', '{"on":true}'), put(2, 'services/api', 'beta-host'), del(3, 'flags/old')]);
    assert.deepEqual(
      log.visible({ ...ALL, text: 'BETA' }).map((e) => e.revision),
      [2, 1],
    );
    assert.deepEqual(
      log.visible({ ...ALL, puts: false }).map((e) => e.revision),
      [3],
    );
    assert.deepEqual(
      log.visible({ text: 'flags/', puts: true, deletes: false }).map((e) => e.revision),
      [1],
    );
  });
});
