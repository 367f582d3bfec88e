// A process that uses the SDK and can be killed -9 by a test: it campaigns in an election or
// registers a service instance, prints one JSON line when it has, then keeps its lease alive until
// it is killed. Usage: node --import tsx test/cluster/client-child.ts '<json>' where the JSON is
// { mode: 'campaign' | 'register', endpoints, name, value, ttl }.
import { WebSocket } from 'ws';
import { createClient } from '../../client/index.ts';

interface Order {
  readonly mode: 'campaign' | 'register';
  readonly endpoints: readonly string[];
  readonly name: string;
  readonly value: string;
  readonly ttl: number;
}

const order = JSON.parse(process.argv[2] ?? '{}') as Order;
const client = createClient({ endpoints: order.endpoints, webSocket: WebSocket });
client.on('error', (error) => process.stderr.write(`client error: ${error.code}: ${error.message}\n`));

if (order.mode === 'campaign') {
  const won = await client.election(order.name, { ttl: order.ttl }).campaign(order.value);
  process.stdout.write(
    `${JSON.stringify({ won: { key: won.key, fencingRevision: won.fencingRevision } })}\n`,
  );
} else {
  const registration = await client.register(order.name, order.value, { ttl: order.ttl, value: order.value });
  process.stdout.write(`${JSON.stringify({ registered: registration.key })}\n`);
}
// The client's timers keep this process alive until it is killed.
