/**
 * Picking blocks out of PEM text, for a certificate file that may also hold
 * its private key (as the original server allows).
 *
 * @module
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of `pem` whose label satisfies `wanted`, joined by newlines. */
function blocks(pem: string, wanted: (label: string) => boolean): string[] {
  const found: string[] = [];
  for (const match of pem.matchAll(BLOCK)) {
    if (wanted(match[1])) found.push(match[0]);
  }
  return found;
}

/**
 * The private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE
 * KEY`) of `pem`, or `null` when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyFromPem } from "./pem.ts";
 * const key = privateKeyFromPem("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
 * assert.equal(key, "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
 * ```
 */
export function privateKeyFromPem(pem: string): string | null {
  const keys = blocks(
    pem,
    (label) => label.endsWith("PRIVATE KEY") && !label.includes("ENCRYPTED"),
  );
  return keys.length > 0 ? keys[0] + "\n" : null;
}

/** The `CERTIFICATE` blocks of `pem` (the chain, in file order), or `null` when there are none. */
export function certificatesFromPem(pem: string): string | null {
  const certificates = blocks(pem, (label) => label === "CERTIFICATE");
  return certificates.length > 0 ? certificates.join("\n") + "\n" : null;
}
