import type { Request } from "express";

const MAX_BOUND = 10_000;

/**
 * AUTH_BINDING=connection — the seed's Case #1, INSECURE on purpose: after a
 * login, the TCP connection <remote address, remote port> itself counts as
 * authenticated. Behind a proxy or client that pools keep-alive connections,
 * the next user whose request rides the same connection is served as the
 * first. statelab keeps it to show exactly that.
 */
export function createConnectionBinding() {
  const bound = new Map<string, { userId: string; csrfToken: string }>();
  const keyOf = (req: Request) => `${req.socket.remoteAddress}:${req.socket.remotePort}`;

  return {
    bind(req: Request, userId: string, csrfToken: string): void {
      const key = keyOf(req);
      if (bound.size >= MAX_BOUND && !bound.has(key)) {
        const oldest = bound.keys().next().value;
        if (oldest !== undefined) bound.delete(oldest);
      }
      if (!bound.has(key)) req.socket.once("close", () => bound.delete(key));
      bound.set(key, { userId, csrfToken });
    },
    lookup(req: Request): { userId: string; csrfToken: string } | undefined {
      return bound.get(keyOf(req));
    },
    unbind(req: Request): void {
      bound.delete(keyOf(req));
    },
  };
}

export type ConnectionBinding = ReturnType<typeof createConnectionBinding>;
