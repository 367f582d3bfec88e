// Mutual authentication of members: each side proves it knows the cluster secret by an HMAC over
// both nonces, both ids and its role, so the secret never crosses the wire, a recorded proof is
// useless on another connection (fresh nonces), and a side cannot reflect the other's proof back
// (the role is part of what is signed). WebCrypto, so the same code runs on Node and Deno.

export const PEER_AUTH_CONTEXT = 'vane-peer-v1';
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** Shorter secrets could be brute-forced offline from a recorded proof. */
export const MIN_SECRET_BYTES = 16;

export type HandshakeRole = 'dialer' | 'acceptor';

export interface ProofInput {
  readonly clusterId: string;
  readonly dialerId: string;
  readonly acceptorId: string;
  readonly dialerNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
  /** Who is proving. */
  readonly role: HandshakeRole;
}

export interface ClusterSecretError {
  readonly code: 'invalidClusterSecret';
  readonly message: string;
}

export async function importClusterSecret(
  secret: string | Uint8Array,
): Promise<CryptoKey | ClusterSecretError> {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    return {
      code: 'invalidClusterSecret',
      message: `the cluster secret has ${bytes.length} bytes; use at least ${MIN_SECRET_BYTES} (e.g. 32 random bytes, base64)`,
    };
  }
  return globalThis.crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

export function createNonce(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/** Length-prefixed fields, so that no two different inputs sign the same bytes. */
function proofMessage(input: ProofInput): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const fields = [
    encoder.encode(PEER_AUTH_CONTEXT),
    encoder.encode(input.clusterId),
    encoder.encode(input.dialerId),
    encoder.encode(input.acceptorId),
    input.dialerNonce,
    input.acceptorNonce,
    encoder.encode(input.role),
  ];
  const out = new Uint8Array(fields.reduce((sum, field) => sum + 4 + field.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const field of fields) {
    view.setUint32(offset, field.length);
    out.set(field, offset + 4);
    offset += 4 + field.length;
  }
  return out;
}

export async function computeProof(key: CryptoKey, input: ProofInput): Promise<Uint8Array> {
  const signature = await globalThis.crypto.subtle.sign('HMAC', key, proofMessage(input));
  return new Uint8Array(signature);
}

/** Compares in time that depends only on the lengths, so a forger learns nothing from timing. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
