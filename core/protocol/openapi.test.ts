import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openApiDocument } from './openapi.ts';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: object }>>;
  components: { schemas: Record<string, unknown> };
}

const expectedRoutes = [
  'get /v1/kv/{key}',
  'put /v1/kv/{key}',
  'delete /v1/kv/{key}',
  'post /v1/kv/range',
  'post /v1/txn',
  'post /v1/compact',
  'post /v1/lease/grant',
  'post /v1/lease/revoke',
  'post /v1/lease/keepalive',
  'post /v1/lease/timetolive',
  'get /v1/lease',
  'get /v1/cluster/members',
  'post /v1/cluster/members',
  'delete /v1/cluster/members/{id}',
  'post /v1/cluster/members/{id}/promote',
  'get /v1/cluster/status',
  'get /v1/snapshot',
  'get /v1/watch',
];

describe('OpenAPI document', () => {
  const document = JSON.parse(JSON.stringify(openApiDocument())) as Document;

  it('is an OpenAPI 3.1 document that survives a JSON round trip', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(document)), document);
  });

  it('lists every route of the client API, and no other', () => {
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    assert.deepStrictEqual([...routes].sort(), [...expectedRoutes].sort());
  });

  it('resolves every schema reference to a component', () => {
    const text = JSON.stringify(document);
    const references = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(references.length > 20);
    for (const name of references)
      assert.ok(name in document.components.schemas, `missing component ${name}`);
  });

  it('documents the range query parameters and the recursive txn', () => {
    const get = document.paths['/v1/kv/{key}']!.get as unknown as {
      parameters: { name: string; in: string }[];
    };
    const names = get.parameters.map((p) => p.name);
    for (const name of [
      'key',
      'revision',
      'serializable',
      'encoding',
      'prefix',
      'rangeEnd',
      'limit',
      'keysOnly',
      'countOnly',
    ]) {
      assert.ok(names.includes(name), `missing parameter ${name}`);
    }
    const txn = JSON.stringify(document.components.schemas.Txn);
    assert.match(txn, /#\/components\/schemas\/RequestOp/);
    assert.match(JSON.stringify(document.components.schemas.RequestOp), /#\/components\/schemas\/Txn"/);
  });
});
