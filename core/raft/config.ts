// Raft configuration: sane defaults (etcd's where etcd has them) and the checks a config must pass.
import type { NodeId, RaftConfig, Random, Storage } from './types.ts';

export function defaultRaftConfig(id: NodeId, storage: Storage, random: Random): RaftConfig {
  return {
    id,
    storage,
    random,
    electionTick: 10,
    heartbeatTick: 1,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    maxInflightBytes: 32 * 1024 * 1024,
    maxUncommittedEntriesSize: 64 * 1024 * 1024,
    preVote: true,
    checkQuorum: true,
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** What is wrong with a config, or undefined if it is usable. */
export function validateRaftConfig(config: RaftConfig): string | undefined {
  if (typeof config.id !== 'string' || config.id === '') return 'id must be a non-empty string';
  if (!isCount(config.heartbeatTick) || config.heartbeatTick === 0)
    return 'heartbeatTick must be a positive integer';
  if (!isCount(config.electionTick) || config.electionTick <= config.heartbeatTick) {
    return `electionTick (${config.electionTick}) must be an integer greater than heartbeatTick (${config.heartbeatTick})`;
  }
  if (!isCount(config.maxSizePerMsg)) return 'maxSizePerMsg must be a non-negative integer';
  if (!isCount(config.maxInflightMsgs) || config.maxInflightMsgs === 0)
    return 'maxInflightMsgs must be a positive integer';
  if (!isCount(config.maxInflightBytes))
    return 'maxInflightBytes must be a non-negative integer (0 = no limit)';
  if (!isCount(config.maxUncommittedEntriesSize)) {
    return 'maxUncommittedEntriesSize must be a non-negative integer (0 = no limit)';
  }
  if (config.maxCommittedSizePerReady !== undefined && !isCount(config.maxCommittedSizePerReady)) {
    return 'maxCommittedSizePerReady must be a non-negative integer (0 = no limit)';
  }
  if (
    config.maxPendingReadIndexRequests !== undefined &&
    (!isCount(config.maxPendingReadIndexRequests) || config.maxPendingReadIndexRequests === 0)
  ) {
    return 'maxPendingReadIndexRequests must be a positive integer';
  }
  if (config.applied !== undefined && !isCount(config.applied))
    return 'applied must be a non-negative integer';
  return undefined;
}
