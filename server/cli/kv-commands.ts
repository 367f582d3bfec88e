// get, put, del, txn, compact: the key-value commands.
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  decodeCompactResponse,
  decodeDeleteRangeResponse,
  decodePutResponse,
  decodeRangeResponse,
  decodeTxnRequest,
  decodeTxnResponse,
  encodePutBody,
  isDecodeError,
  kvPath,
  type RangeRequestJson,
} from '../../core/protocol/index.ts';
import type { KeyValue, PutRequest, ResponseOp } from '../../core/store/index.ts';
import { clientContext, decoded } from './client-context.ts';
import {
  CliError,
  type CommandInput,
  type CommandSpec,
  type OptionValues,
  parseInteger,
  usageError,
} from './command.ts';
import { readInput } from './input.ts';
import { displayText, keyValueLine, type Output, plural, textOf } from './output.ts';

export interface Selection {
  readonly key: string;
  readonly prefix?: boolean;
  readonly rangeEnd?: string;
}

/** The '\0' key and range end together select every key (etcd's convention). */
const EVERY_KEY: Selection = { key: '\0', rangeEnd: '\0' };

/** KEY with --prefix or --range-end, as the API's key selection; both at once is a usage error. */
export function selection(key: string, options: OptionValues, command: string): Selection {
  const rangeEnd = options.string('range-end');
  if (options.flag('prefix') && rangeEnd !== undefined)
    throw usageError('--prefix and --range-end exclude each other', command);
  if (options.flag('prefix')) return key === '' ? EVERY_KEY : { key, prefix: true };
  return rangeEnd === undefined ? { key } : { key, rangeEnd };
}

function isSingleKey(select: Selection): boolean {
  return select.prefix === undefined && select.rangeEnd === undefined;
}

const SELECTION_OPTIONS = {
  prefix: { type: 'boolean', description: 'every key that starts with KEY ("" --prefix: every key)' },
  'range-end': { type: 'string', valueName: 'END', description: 'every key from KEY up to END (exclusive)' },
} as const;

export const getCommand: CommandSpec = {
  path: ['get'],
  summary: 'Read a key, a range or a prefix.',
  details: [
    'Prints `key = value` lines; a value with control characters is shown quoted, a binary one as',
    'base64. A single key that does not exist is an error (exit code 1).',
    '',
    'Examples:',
    '  vane get greeting',
    '  vane get config/ --prefix --keys-only',
    '  vane get greeting --print-value-only > greeting.txt',
  ].join('\n'),
  args: [{ name: 'KEY' }],
  options: {
    ...SELECTION_OPTIONS,
    rev: { type: 'string', valueName: 'N', description: 'read as of revision N (default: the latest)' },
    limit: { type: 'string', valueName: 'N', description: 'at most N keys' },
    'keys-only': { type: 'boolean', description: 'print only the keys' },
    'count-only': { type: 'boolean', description: 'print only how many keys match' },
    'print-value-only': {
      type: 'boolean',
      description: 'print only the values (a single value byte for byte)',
    },
    serializable: { type: 'boolean', description: "answer from the asked member's copy, which may be stale" },
  },
  client: true,
  async run(input: CommandInput) {
    const { options, command } = input;
    const key = input.args.KEY!;
    const { api, out } = clientContext(input);
    const select = selection(key, options, command);
    const body: RangeRequestJson = {
      ...select,
      ...optional('revision', options.integer('rev', 1)),
      ...optional('limit', options.integer('limit', 1)),
      ...(options.flag('keys-only') ? { keysOnly: true } : {}),
      ...(options.flag('count-only') ? { countOnly: true } : {}),
      ...(options.flag('serializable') ? { serializable: true } : {}),
    };
    const answer = await api.call({
      method: 'POST',
      path: '/v1/kv/range',
      body,
      what: `the read of '${key}'`,
    });
    const { response } = decoded(answer, decodeRangeResponse);
    const single = isSingleKey(select);
    if (single && response.count === 0) {
      throw new CliError(`key ${quote(key)} not found (revision ${response.revision})`, 1, answer.body);
    }
    if (out.json) out.jsonLine(answer.body);
    else if (options.flag('count-only')) out.line(String(response.count));
    else if (options.flag('keys-only')) for (const kv of response.kvs) out.line(displayText(kv.key));
    else if (options.flag('print-value-only')) printValues(out, response.kvs, single);
    else for (const kv of response.kvs) out.line(keyValueLine(kv));
    if (response.more && !out.json) {
      out.note(`(${response.kvs.length} of ${response.count} keys shown; raise --limit to see more)`);
    }
    return 0;
  },
};

/** A single value byte for byte (so `> file` round-trips); several values one per line. */
function printValues(out: Output, kvs: readonly KeyValue[], single: boolean): void {
  for (const kv of kvs) {
    const text = textOf(kv.value);
    if (single) {
      out.bytes(kv.value);
      if (text !== undefined) out.line('');
    } else {
      out.line(text ?? `base64:${Buffer.from(kv.value).toString('base64')}`);
    }
  }
}

export const putCommand: CommandSpec = {
  path: ['put'],
  summary: 'Write a key.',
  details: [
    'VALUE is the text to store; "-" reads the value from standard input, --file from a file',
    '(byte for byte; a value that is not UTF-8 text travels as base64).',
    '',
    'Examples:',
    '  vane put greeting hello',
    '  vane put config/app.json --file app.json',
    '  echo hello | vane put greeting -',
    '  vane put service/a 10.0.0.1 --lease 7587',
  ].join('\n'),
  args: [{ name: 'KEY' }, { name: 'VALUE', optional: true }],
  options: {
    file: { type: 'string', valueName: 'PATH', description: 'read the value from this file' },
    lease: {
      type: 'string',
      valueName: 'ID',
      description: 'attach the key to this lease (see `vane lease grant`)',
    },
    'prev-kv': { type: 'boolean', description: 'also print the value the key had before' },
  },
  client: true,
  async run(input: CommandInput) {
    const { options, command } = input;
    const key = input.args.KEY!;
    if (key === '') throw usageError('KEY is empty; every key has at least one character', command);
    const file = options.string('file');
    const valueArg = input.args.VALUE;
    if (file !== undefined && valueArg !== undefined)
      throw usageError('give VALUE or --file, not both', command);
    if (file === undefined && valueArg === undefined)
      throw usageError('VALUE is missing (or use --file PATH, or "-" for standard input)', command);
    const source = file ?? (valueArg === '-' ? '-' : undefined);
    const value =
      source === undefined
        ? new TextEncoder().encode(valueArg)
        : await readInput(input.io, source, DEFAULT_LIMITS.maxValueBytes, 'maxValueBytes limit');
    const lease = options.integer('lease', 1);
    const request: PutRequest = {
      key,
      value,
      ...(lease === undefined ? {} : { lease }),
      ...(options.flag('prev-kv') ? { prevKv: true } : {}),
    };
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'PUT',
      path: kvPath(key),
      body: encodePutBody(request),
      write: true,
      what: `the write of ${quote(key)}`,
    });
    const { response } = decoded(answer, decodePutResponse);
    out.print(answer.body, () => {
      const lines = [`OK (revision ${response.revision})`];
      if (request.prevKv) {
        lines.push(
          response.prevKv === undefined
            ? 'previous: none (the key is new)'
            : `previous: ${keyValueLine(response.prevKv)}`,
        );
      }
      return lines;
    });
    return 0;
  },
};

export const delCommand: CommandSpec = {
  path: ['del'],
  summary: 'Delete a key, a range or a prefix.',
  details: ['Examples:', '  vane del greeting', '  vane del config/ --prefix --prev-kv'].join('\n'),
  args: [{ name: 'KEY' }],
  options: {
    ...SELECTION_OPTIONS,
    'prev-kv': { type: 'boolean', description: 'also print the deleted keys and their values' },
  },
  client: true,
  async run(input: CommandInput) {
    const { options, command } = input;
    const key = input.args.KEY!;
    const select = selection(key, options, command);
    if (key === '' && isSingleKey(select)) {
      throw usageError('KEY is empty; to delete every key, use: vane del "" --prefix', command);
    }
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'DELETE',
      path: kvPath(select.key),
      query: {
        prefix: select.prefix ? 'true' : undefined,
        rangeEnd: select.rangeEnd,
        prevKv: options.flag('prev-kv') ? 'true' : undefined,
      },
      write: true,
      what: `the deletion of ${quote(key)}`,
    });
    const { response } = decoded(answer, decodeDeleteRangeResponse);
    out.print(answer.body, () => [
      `deleted ${plural(response.deleted, 'key')} (revision ${response.revision})`,
      ...(response.prevKvs ?? []).map(keyValueLine),
    ]);
    return 0;
  },
};

export const txnCommand: CommandSpec = {
  path: ['txn'],
  summary: 'Run a transaction: compare, then the success or the failure ops, atomically.',
  details: [
    'Reads the txn as JSON (the body of POST /v1/txn) from FILE, or from standard input when FILE',
    'is absent or "-". Prints SUCCEEDED or FAILED, then the answer to each op that ran.',
    '',
    'Example (create a key only if it does not exist):',
    `  echo '{"compare":[{"key":"lock","target":"version","result":"equal","value":0}],`,
    `        "success":[{"put":{"key":"lock","value":"me"}}],`,
    `        "failure":[{"range":{"key":"lock"}}]}' | vane txn`,
  ].join('\n'),
  args: [{ name: 'FILE', optional: true }],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const path = input.args.FILE ?? '-';
    const bytes = await readInput(input.io, path, DEFAULT_LIMITS.maxRequestBytes, 'maxRequestBytes limit');
    const where = path === '-' ? 'standard input' : path;
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new CliError(`the txn in ${where} is not JSON: ${(error as Error).message}`);
    }
    // Checked here first, so that a mistake is reported with its place before anything is sent.
    const checked = decodeTxnRequest(json);
    if (isDecodeError(checked)) throw new CliError(`the txn in ${where} is not valid: ${checked.message}`);
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/txn',
      body: json,
      write: checked.requestId === undefined,
      what: 'the txn',
    });
    const { response } = decoded(answer, decodeTxnResponse);
    out.print(answer.body, () => [
      `${response.succeeded ? 'SUCCEEDED' : 'FAILED'} (revision ${response.revision})`,
      ...response.responses.flatMap((op, i) => responseOpLines(op, `[${i}] `, '    ')),
    ]);
    return 0;
  },
};

function responseOpLines(op: ResponseOp, label: string, indent: string): string[] {
  if ('range' in op) {
    const kvs = op.range.kvs.map((kv) => `${indent}${keyValueLine(kv)}`);
    return [`${label}range: ${plural(op.range.count, 'key')}`, ...kvs];
  }
  if ('put' in op) {
    const prev = op.put.prevKv === undefined ? [] : [`${indent}previous: ${keyValueLine(op.put.prevKv)}`];
    return [`${label}put: OK`, ...prev];
  }
  if ('deleteRange' in op) {
    const prev = (op.deleteRange.prevKvs ?? []).map((kv) => `${indent}${keyValueLine(kv)}`);
    return [`${label}delete: ${plural(op.deleteRange.deleted, 'key')} deleted`, ...prev];
  }
  return [
    `${label}txn: ${op.txn.succeeded ? 'SUCCEEDED' : 'FAILED'}`,
    ...op.txn.responses.flatMap((nested, i) => responseOpLines(nested, `${indent}[${i}] `, `${indent}    `)),
  ];
}

export const compactCommand: CommandSpec = {
  path: ['compact'],
  summary: 'Forget the history before a revision (reads and watches from earlier revisions fail after).',
  details: ['Example:', '  vane compact 1200'].join('\n'),
  args: [{ name: 'REVISION' }],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const revision = parseInteger(
      input.args.REVISION!,
      'REVISION',
      1,
      Number.MAX_SAFE_INTEGER,
      input.command,
    );
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/compact',
      body: { revision },
      write: true,
      what: `compaction at revision ${revision}`,
    });
    const { response } = decoded(answer, decodeCompactResponse);
    out.print(
      answer.body,
      () => `compacted: history before revision ${revision} is gone (current revision ${response.revision})`,
    );
    return 0;
  },
};

function optional<K extends string>(name: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, number>);
}

export function quote(key: string): string {
  return `'${displayText(key)}'`;
}
