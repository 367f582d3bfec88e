// Wire versions. A peer or client speaking another version is refused with 'unsupportedVersion'
// rather than misread; bump a version whenever its encoding changes incompatibly.

/** The client protocol: the `v` of every watch WebSocket message (HTTP routes carry it as /v1). */
export const PROTOCOL_VERSION: 1 = 1;

/** The binary frames exchanged between members (handshake and Raft message batches). */
export const PEER_FRAME_VERSION = 1;

/** The encoding of store commands inside Raft entries. Old entries stay in logs, so decoders keep old versions. */
export const COMMAND_CODEC_VERSION = 1;
