/** A problem with the local servers that the user can fix; the CLI prints `message` alone. */
export class InfraError extends Error {
  override readonly name = "InfraError";
}
