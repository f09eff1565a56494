/** A mistake on the command line; the CLI prints it with usage and exits 2. */
export class UsageError extends Error {
  /** Exit status for usage errors. */
  readonly exitCode = 2;

  /** @param message what is wrong, for the user */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
