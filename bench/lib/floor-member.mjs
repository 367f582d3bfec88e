// One process of the replication floor (replication-floor.ts): the least a replicated, durable
// write needs on this machine, with no Raft, no encoding and no store. A follower appends each
// message to its file, fdatasyncs it and acknowledges; the leader forwards each client message to
// its followers, appends and fdatasyncs it itself, and answers once it and one follower hold it.
// Plain JavaScript, so that a process starts in node alone. Usage (forked): floor-member.mjs
// follower|leader <dir>; it sends its port to the parent; a leader first receives its followers' ports.
import { fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';

const [role, dir] = process.argv.slice(2);
const fd = openSync(join(dir, `${role}-${process.pid}.log`), 'w');

function append(bytes) {
  writeSync(fd, bytes);
  fdatasyncSync(fd);
}

function listen() {
  return new Promise((resolve) => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(server));
  });
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

if (role === 'follower') {
  const server = await listen();
  server.on('connection', (socket) =>
    socket.on('message', (data) => {
      append(data);
      socket.send(data.subarray(0, 4));
    }),
  );
  process.send(server.address().port);
} else if (role === 'leader') {
  const ports = await new Promise((resolve) => process.once('message', resolve));
  const followers = await Promise.all(ports.map(connect));
  const server = await listen();
  server.on('connection', (client) => {
    // Per write (its first 4 bytes number it): whether the leader holds it, and how many followers do.
    const writes = new Map();
    const answerIfDone = (seq) => {
      const w = writes.get(seq);
      if (w === undefined || !w.own || w.acks < 1) return;
      writes.delete(seq);
      client.send(w.id);
    };
    for (const follower of followers) {
      follower.on('message', (ack) => {
        const seq = ack.readUInt32LE(0);
        const w = writes.get(seq);
        if (w === undefined) return;
        w.acks++;
        answerIfDone(seq);
      });
    }
    client.on('message', (data) => {
      const seq = data.readUInt32LE(0);
      writes.set(seq, { id: data.subarray(0, 4), own: false, acks: 0 });
      for (const follower of followers) follower.send(data);
      // After the sends have gone out: the leader's own fsync overlaps the followers'.
      setImmediate(() => {
        append(data);
        const w = writes.get(seq);
        if (w !== undefined) w.own = true;
        answerIfDone(seq);
      });
    });
  });
  process.send(server.address().port);
} else {
  throw new Error(`floor-member.mjs: unknown role '${role}' (follower or leader)`);
}
