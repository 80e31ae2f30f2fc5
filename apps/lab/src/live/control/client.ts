import type { FaultRecord } from "./control.js";
import type { FaultRequest } from "./faults.js";

/** Why `statelab fault` did not get its fault applied; `isUsage` = the request itself was wrong (exit 2). */
export class FaultClientError extends Error {
  override readonly name = "FaultClientError";
  readonly isUsage: boolean;

  constructor(message: string, isUsage: boolean) {
    super(message);
    this.isUsage = isUsage;
  }
}

/** The dashboard of a lab on the design's ports shifted by `portOffset`. */
export const labDashboardUrl = (portOffset: number) => `http://127.0.0.1:${8080 + portOffset}`;

/** Only a lab on this machine: the control API listens on loopback and nowhere else. */
export function parseLabUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FaultClientError(`--url must be a URL such as http://127.0.0.1:8080, got "${raw}"`, true);
  }
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname)) {
    throw new FaultClientError(`--url must be http://127.0.0.1:<port> (the lab listens on loopback only)`, true);
  }
  return url.origin;
}

/** Asks the running `statelab up` at `baseUrl` to apply a fault; resolves once it is applied. */
export async function sendFault(baseUrl: string, request: FaultRequest): Promise<FaultRecord> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/api/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      // A store switch restarts every stateful instance one by one.
      signal: AbortSignal.timeout(180_000),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    const why = code === "ECONNREFUSED" ? "nothing listens there" : (error as Error).message;
    throw new FaultClientError(
      `no lab answers at ${baseUrl} (${why}). Start one with \`npm start\`, or pass the --port-offset or --url it runs with.`,
      false,
    );
  }
  const body = (await res.json().catch(() => null)) as {
    fault?: FaultRecord;
    error?: { code?: string; message?: string };
  } | null;
  if (res.ok && body?.fault) return body.fault;
  const message = body?.error?.message ?? `HTTP ${res.status}`;
  throw new FaultClientError(message, res.status === 400 || res.status === 404);
}
