/**
 * Waiting in tests for something that happens on its own time (a socket
 * message, a connection state, a frame): one polling loop for all of them.
 *
 * @module
 */

/**
 * Resolves once `condition()` holds (looked at every `pollMs`); rejects
 * with "Timed out waiting for `what`" after `timeoutMs`.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  pollMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!await condition()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
