// Prometheus metrics of one member, on a registry of its own (never prom-client's global one, so
// several members in one process, as in tests, keep separate counts). The member and the HTTP app
// record through the typed methods below; /metrics renders the registry.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a proposal ended, as the member saw it. */
export type ProposalResult = 'applied' | 'dropped' | 'timedOut' | 'failed';

export interface RenderedMetrics {
  readonly contentType: string;
  readonly body: string;
}

export class Metrics {
  readonly registry: Registry;
  readonly #raftTerm: Gauge;
  readonly #commitIndex: Gauge;
  readonly #appliedIndex: Gauge;
  readonly #leaderChanges: Counter;
  readonly #proposals: Counter<'result'>;
  readonly #walFsync: Histogram;
  readonly #peerRoundTrip: Histogram<'peer'>;
  readonly #watchers: Gauge;
  readonly #httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly #httpRequestSeconds: Histogram<'route'>;

  constructor() {
    const registers = [new Registry()];
    this.registry = registers[0]!;
    this.#raftTerm = new Gauge({ name: 'vane_raft_term', help: 'Current Raft term.', registers });
    this.#commitIndex = new Gauge({
      name: 'vane_raft_commit_index',
      help: 'Highest log index known to be committed.',
      registers,
    });
    this.#appliedIndex = new Gauge({
      name: 'vane_raft_applied_index',
      help: 'Highest log index applied to the store.',
      registers,
    });
    this.#leaderChanges = new Counter({
      name: 'vane_raft_leader_changes_total',
      help: 'Times this member saw the leader change.',
      registers,
    });
    this.#proposals = new Counter({
      name: 'vane_proposals_total',
      help: 'Proposals made through this member, by how they ended.',
      labelNames: ['result'],
      registers,
    });
    this.#walFsync = new Histogram({
      name: 'vane_wal_fsync_seconds',
      help: 'Duration of write-ahead log fsyncs.',
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
      registers,
    });
    this.#peerRoundTrip = new Histogram({
      name: 'vane_peer_round_trip_seconds',
      help: 'Round trip time to each peer.',
      labelNames: ['peer'],
      buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
      registers,
    });
    this.#watchers = new Gauge({
      name: 'vane_watchers',
      help: 'Watches open through this member.',
      registers,
    });
    this.#httpRequests = new Counter({
      name: 'vane_http_requests_total',
      help: 'HTTP requests served, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.#httpRequestSeconds = new Histogram({
      name: 'vane_http_request_seconds',
      help: 'Time to serve an HTTP request, by route pattern.',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  setRaftState(term: number, commitIndex: number, appliedIndex: number): void {
    this.#raftTerm.set(term);
    this.#commitIndex.set(commitIndex);
    this.#appliedIndex.set(appliedIndex);
  }

  countLeaderChange(): void {
    this.#leaderChanges.inc();
  }

  countProposal(result: ProposalResult): void {
    this.#proposals.inc({ result });
  }

  observeFsync(seconds: number): void {
    this.#walFsync.observe(seconds);
  }

  observePeerRoundTrip(peer: string, seconds: number): void {
    this.#peerRoundTrip.observe({ peer }, seconds);
  }

  /** +1 when a watch opens, -1 when it ends. */
  addWatchers(delta: number): void {
    this.#watchers.inc(delta);
  }

  observeHttpRequest(route: string, method: string, status: number, seconds: number): void {
    this.#httpRequests.inc({ route, method, status: String(status) });
    this.#httpRequestSeconds.observe({ route }, seconds);
  }

  async render(): Promise<RenderedMetrics> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
