// member list | add | remove | promote. Membership changes go to the leader: a member that is not
// the leader answers notLeader with the leader's URL, which the API client follows.
import { decodeMemberListResponse, type MemberListResponseJson } from '../../core/protocol/index.ts';
import type { ApiAnswer } from './api-client.ts';
import { clientContext, decoded } from './client-context.ts';
import { type CommandInput, type CommandSpec, usageError } from './command.ts';
import { table } from './output.ts';

function memberTable(list: MemberListResponseJson): string[] {
  return table(
    ['NAME', 'KIND', 'PEER URL', 'CLIENT URL'],
    list.members.map((m) => [
      m.name,
      m.isLearner ? 'learner' : 'voter',
      m.peerUrls.join(',') || '-',
      m.clientUrls.join(',') || '(not started yet)',
    ]),
  );
}

function memberName(input: CommandInput): string {
  const name = input.args.NAME!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw usageError(
      `NAME '${name}': expected 1-63 letters, digits, dots, dashes or underscores`,
      input.command,
    );
  }
  return name;
}

function memberList(answer: ApiAnswer): MemberListResponseJson {
  return decoded(answer, decodeMemberListResponse);
}

export const memberListCommand: CommandSpec = {
  path: ['member', 'list'],
  summary: 'List the members of the cluster.',
  args: [],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const { api, out } = clientContext(input);
    const answer = await api.call({ method: 'GET', path: '/v1/cluster/members', what: 'the member list' });
    const list = memberList(answer);
    out.print(answer.body, () => memberTable(list));
    return 0;
  },
};

export const memberAddCommand: CommandSpec = {
  path: ['member', 'add'],
  summary: 'Add a member (as a learner unless --voter), before starting it with --join.',
  details: [
    'A learner receives the log but does not vote; promote it once it has caught up. Adding a',
    'voter directly raises the quorum at once, before the new member has any data.',
    '',
    'Example:',
    '  vane member add m4 --peer-url ws://10.0.0.4:7380',
    '  vane serve --name m4 --listen-peer 10.0.0.4:7380 --join http://10.0.0.1:7379 ...',
    '  vane member promote m4',
  ].join('\n'),
  args: [{ name: 'NAME' }],
  options: {
    'peer-url': {
      type: 'string',
      valueName: 'URL',
      description: 'the URL other members reach it at (ws://host:port; required)',
    },
    voter: { type: 'boolean', description: 'add it as a voter rather than a learner' },
  },
  client: true,
  async run(input: CommandInput) {
    const name = memberName(input);
    const peerUrl = input.options.string('peer-url');
    if (peerUrl === undefined) throw usageError('--peer-url is required', input.command);
    if (!/^(wss?|https?):\/\/[^/]+/.test(peerUrl)) {
      throw usageError(`--peer-url: '${peerUrl}' is not a ws:// or http:// URL`, input.command);
    }
    const learner = !input.options.flag('voter');
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/cluster/members',
      body: { id: name, peerUrl, learner },
      what: `adding member ${name}`,
    });
    const list = memberList(answer);
    const listenPeer = new URL(peerUrl).host;
    out.print(answer.body, () => [
      `added ${name} as a ${learner ? 'learner' : 'voter'} (peer ${peerUrl})`,
      'Start it with:',
      `  vane serve --name ${name} --listen-peer ${listenPeer} --listen-client HOST:PORT --join ${answer.endpoint} --cluster-secret ...`,
      ...(learner ? [`then, once it has caught up: vane member promote ${name}`] : []),
      '',
      ...memberTable(list),
    ]);
    return 0;
  },
};

/** A membership change addressed to one member by name, answered with the new member list. */
function changeMemberCommand(change: {
  readonly verb: 'remove' | 'promote';
  readonly summary: string;
  readonly method: 'DELETE' | 'POST';
  readonly pathSuffix: string;
  readonly doing: string;
  readonly done: (name: string) => string;
}): CommandSpec {
  return {
    path: ['member', change.verb],
    summary: change.summary,
    args: [{ name: 'NAME' }],
    options: {},
    client: true,
    async run(input: CommandInput) {
      const name = memberName(input);
      const { api, out } = clientContext(input);
      const answer = await api.call({
        method: change.method,
        path: `/v1/cluster/members/${encodeURIComponent(name)}${change.pathSuffix}`,
        what: `${change.doing} member ${name}`,
      });
      const list = memberList(answer);
      out.print(answer.body, () => [change.done(name), '', ...memberTable(list)]);
      return 0;
    },
  };
}

export const memberRemoveCommand: CommandSpec = changeMemberCommand({
  verb: 'remove',
  summary: 'Remove a member from the cluster (it stops itself once it learns of it).',
  method: 'DELETE',
  pathSuffix: '',
  doing: 'removing',
  done: (name) => `removed ${name}`,
});

export const memberPromoteCommand: CommandSpec = changeMemberCommand({
  verb: 'promote',
  summary: 'Make a learner a voter (refused until it has caught up with the leader).',
  method: 'POST',
  pathSuffix: '/promote',
  doing: 'promoting',
  done: (name) => `promoted ${name} to voter`,
});
