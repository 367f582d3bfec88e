// The OpenAPI 3.1 document of the client API, generated from the zod schemas so that it cannot
// drift from what the decoders accept. The route table is the list the server implements.

import * as z from 'zod';
import { clientSchemas } from './client.ts';
import { PROTOCOL_VERSION } from './version.ts';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete';

export interface ClientRoute {
  readonly method: HttpMethod;
  /** OpenAPI path template, e.g. '/v1/kv/{key}'. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /** Component name of the JSON body, if any. */
  readonly body?: string;
  /** Component name of an object schema whose properties are the query parameters. */
  readonly query?: string;
  /** Component name of the JSON answer; 'snapshot' and 'watch' answer otherwise. */
  readonly response: string;
}

export const CLIENT_ROUTES: readonly ClientRoute[] = [
  {
    method: 'get',
    path: '/v1/kv/{key}',
    operationId: 'range',
    summary: 'Read a key, a range or a prefix.',
    query: 'RangeQuery',
    response: 'RangeResponse',
  },
  {
    method: 'put',
    path: '/v1/kv/{key}',
    operationId: 'put',
    summary: 'Write a key.',
    body: 'PutBody',
    response: 'PutResponse',
  },
  {
    method: 'delete',
    path: '/v1/kv/{key}',
    operationId: 'deleteRange',
    summary: 'Delete a key, a range or a prefix.',
    query: 'DeleteQuery',
    response: 'DeleteRangeResponse',
  },
  {
    method: 'post',
    path: '/v1/kv/range',
    operationId: 'rangeByBody',
    summary: 'Read a key, a range or a prefix (any key, options in the body).',
    body: 'RangeRequest',
    response: 'RangeResponse',
  },
  {
    method: 'post',
    path: '/v1/txn',
    operationId: 'txn',
    summary: 'Compare, then run the success or the failure ops, atomically.',
    body: 'TxnRequest',
    response: 'TxnResponse',
  },
  {
    method: 'post',
    path: '/v1/compact',
    operationId: 'compact',
    summary: 'Forget the history before a revision.',
    body: 'CompactRequest',
    response: 'CompactResponse',
  },
  {
    method: 'post',
    path: '/v1/lease/grant',
    operationId: 'leaseGrant',
    summary: 'Create a lease.',
    body: 'LeaseGrantRequest',
    response: 'LeaseGrantResponse',
  },
  {
    method: 'post',
    path: '/v1/lease/revoke',
    operationId: 'leaseRevoke',
    summary: 'Revoke a lease, deleting its keys.',
    body: 'LeaseRevokeRequest',
    response: 'LeaseRevokeResponse',
  },
  {
    method: 'post',
    path: '/v1/lease/keepalive',
    operationId: 'leaseKeepAlive',
    summary: 'Renew a lease.',
    body: 'LeaseKeepAliveRequest',
    response: 'LeaseKeepAliveResponse',
  },
  {
    method: 'post',
    path: '/v1/lease/timetolive',
    operationId: 'leaseTimeToLive',
    summary: "A lease's remaining time and keys.",
    body: 'LeaseTimeToLiveRequest',
    response: 'LeaseTimeToLiveResponse',
  },
  {
    method: 'get',
    path: '/v1/lease',
    operationId: 'leaseList',
    summary: 'Every lease.',
    response: 'LeaseListResponse',
  },
  {
    method: 'get',
    path: '/v1/cluster/members',
    operationId: 'memberList',
    summary: 'The members of the cluster.',
    response: 'MemberListResponse',
  },
  {
    method: 'post',
    path: '/v1/cluster/members',
    operationId: 'memberAdd',
    summary: 'Add a member; answers the new member list.',
    body: 'AddMemberRequest',
    response: 'MemberListResponse',
  },
  {
    method: 'delete',
    path: '/v1/cluster/members/{id}',
    operationId: 'memberRemove',
    summary: 'Remove a member; answers the new member list.',
    response: 'MemberListResponse',
  },
  {
    method: 'post',
    path: '/v1/cluster/members/{id}/promote',
    operationId: 'memberPromote',
    summary: 'Make a learner a voter; answers the new member list.',
    response: 'MemberListResponse',
  },
  {
    method: 'get',
    path: '/v1/cluster/status',
    operationId: 'status',
    summary: "The answering member's Raft and store status.",
    response: 'StatusResponse',
  },
  {
    method: 'get',
    path: '/v1/snapshot',
    operationId: 'snapshot',
    summary: "A snapshot of the member's store, as a byte stream.",
    response: 'snapshot',
  },
  {
    method: 'get',
    path: '/v1/watch',
    operationId: 'watch',
    summary: 'Upgrade to a WebSocket carrying WatchClientMessage and WatchServerMessage JSON messages.',
    response: 'watch',
  },
];

type JsonSchema = Record<string, unknown>;

const componentRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: string): JsonSchema => ({ 'application/json': { schema: componentRef(name) } });

export function openApiDocument(): object {
  const generated = z.toJSONSchema(clientSchemas, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  const schemas: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(generated)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    schemas[name] = rest;
  }
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of CLIENT_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vane client API',
      version: String(PROTOCOL_VERSION),
      description:
        'A strongly consistent, replicated config store (etcd data model). Values travel as UTF-8 text, or as ' +
        "base64 when encoding 'base64' is asked for; every answer carries a header with the revision it reflects.",
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: { schemas },
  };
}

function operation(route: ClientRoute, schemas: Readonly<Record<string, JsonSchema>>): JsonSchema {
  const parameters: JsonSchema[] = [];
  if (route.path.includes('{key}')) {
    parameters.push({
      name: 'key',
      in: 'path',
      required: true,
      description: 'The key, percent-encoded as a whole (slashes included).',
      schema: { type: 'string' },
    });
  }
  if (route.path.includes('{id}')) {
    parameters.push({
      name: 'id',
      in: 'path',
      required: true,
      description: 'A member id.',
      schema: { type: 'string' },
    });
  }
  if (route.query !== undefined) {
    const query = schemas[route.query];
    const properties = (query?.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((query?.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(properties)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  const errorResponse = {
    description: 'The request was refused or failed.',
    content: jsonContent('ErrorBody'),
  };
  let success: JsonSchema;
  if (route.response === 'snapshot') {
    success = {
      description: 'The snapshot bytes.',
      content: {
        'application/octet-stream': {
          schema: { type: 'string', contentMediaType: 'application/octet-stream' },
        },
      },
    };
  } else if (route.response === 'watch') {
    return {
      operationId: route.operationId,
      summary: route.summary,
      responses: {
        '101': {
          description:
            'Switched to a WebSocket. The client sends WatchClientMessage JSON messages; the server sends ' +
            'WatchServerMessage JSON messages. Every message carries the protocol version `v`.',
        },
        default: errorResponse,
      },
      'x-websocket-messages': {
        client: componentRef('WatchClientMessage'),
        server: componentRef('WatchServerMessage'),
      },
    };
  } else {
    success = { description: 'Done.', content: jsonContent(route.response) };
  }
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    responses: { '200': success, default: errorResponse },
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (route.body !== undefined) op.requestBody = { required: true, content: jsonContent(route.body) };
  return op;
}
