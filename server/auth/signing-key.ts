// Each member signs the tokens it issues with its own Ed25519 key, kept in its data directory (or a
// file given by --auth-signing-key-file). Only the public half is replicated (auth-state.ts), so
// every member verifies every member's tokens while no private key ever leaves its member: a copy
// of the store (a backup, a snapshot sent to a follower) cannot mint tokens.
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import type { FileSystem } from '../storage/index.ts';
import type { PublicJwk } from './auth-state.ts';

export interface SigningKey {
  /** The key's id in tokens' headers: its RFC 7638 thumbprint. */
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  readonly privateKey: CryptoKey;
}

/** Where a member keeps its generated key, inside its data directory. */
export const SIGNING_KEY_FILE = 'auth/signing-key.pem';
/** A PEM Ed25519 private key is about 120 bytes; anything much bigger is not one. */
export const MAX_SIGNING_KEY_FILE_BYTES = 16 * 1024;

export const TOKEN_ALGORITHM = 'EdDSA';

/** The key in `path`; when the file does not exist and `create` is set, a new key written there first. */
export async function loadSigningKey(
  fs: FileSystem,
  path: string,
  options: { readonly create: boolean },
): Promise<SigningKey> {
  const dir = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  const exists =
    dir === '' || (await fs.list(dir).catch((): string[] => [])).includes(path.slice(dir.length + 1));
  if (!exists) {
    if (!options.create) throw new Error(`signing key file ${path} does not exist`);
    const { privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    if (dir !== '') await fs.mkdirp(dir);
    await fs.writeFileDurable(path, new TextEncoder().encode(await exportPKCS8(privateKey)));
    if (dir !== '') await fs.syncDir(dir);
    return signingKeyOf(privateKey);
  }
  const size = await fs.size(path);
  if (size > MAX_SIGNING_KEY_FILE_BYTES) {
    throw new Error(`signing key file ${path} has ${size} bytes; a PEM Ed25519 key has about 120`);
  }
  const pem = new TextDecoder().decode(await fs.readFile(path));
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(pem, TOKEN_ALGORITHM, { extractable: true });
  } catch (error) {
    throw new Error(
      `signing key file ${path} is not a PKCS#8 PEM Ed25519 private key (\`openssl genpkey -algorithm ed25519\` makes one): ${String(error)}`,
    );
  }
  return signingKeyOf(privateKey);
}

async function signingKeyOf(privateKey: CryptoKey): Promise<SigningKey> {
  const jwk = await exportJWK(privateKey);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error(`the signing key is not an Ed25519 key (kty ${jwk.kty}, crv ${String(jwk.crv)})`);
  }
  const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  return { kid: await calculateJwkThumbprint(publicJwk), publicJwk, privateKey };
}
