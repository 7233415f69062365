// An error in how a command was called (missing or malformed options): exits 2 with the usage line.
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
