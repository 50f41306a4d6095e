/**
 * SHA-256 without loading node:crypto at start (it pulls in Node's stream modules). Two digests
 * are taken: the state folder's name hashes a manifest's path (a few hundred bytes at most:
 * @noble/hashes, pure JavaScript; with node:crypto instead, a 10-link plan executes 14.5M more
 * instructions, 2.6%: bench/README.md, "Start-up tricks"), and the digest of a manifest's text,
 * which a plan carries for `--json`, is taken with node:crypto when something first reads it, as
 * are the digests of a tree copy's files.
 */
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';

/** The hex SHA-256 of a short string's UTF-8 bytes, in JavaScript. */
export function sha256OfShort(text: string): string {
  return bytesToHex(sha256(text));
}

let nodeCrypto: typeof import('node:crypto') | undefined;

/** A SHA-256 hash to feed, by node:crypto (loaded on first use). */
export function newSha256(): import('node:crypto').Hash {
  nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return nodeCrypto.createHash('sha256');
}

/** The hex SHA-256 of a string's UTF-8 bytes, by node:crypto (loaded on first use). */
export function sha256OfText(text: string): string {
  return newSha256().update(text).digest('hex');
}

/** A digest of `text` in the form `sha256:<hex>`, taken the first time it is read. */
export function lazyDigest(text: string): () => string {
  let digest: string | undefined;
  return () => (digest ??= 'sha256:' + sha256OfText(text));
}
