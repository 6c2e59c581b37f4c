import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';

export interface SeenRequest {
  /** CONNECT for a tunnel, else the method of a plain proxied request. */
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
  authorized: boolean;
}

export interface TestProxy {
  port: number;
  /** The proxy URL, with user:password when given. */
  url(user?: string, password?: string): string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** An HTTP proxy (npm `proxy`) on 127.0.0.1 that asks for Basic credentials when `password` is set. */
export async function startProxy(credentials?: { user: string; password: string }): Promise<TestProxy> {
  const server = createProxy(createServer());
  const seen: SeenRequest[] = [];
  const expected = credentials && `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  // Wrapping authenticate is the one hook that sees both CONNECT and plain requests, refused ones too.
  server.authenticate = (req) => {
    const authorized = expected === undefined || req.headers['proxy-authorization'] === expected;
    seen.push({ method: req.method ?? '', target: req.url ?? '', authorized });
    return authorized;
  };
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (user, password) => `http://${user !== undefined ? `${user}${password !== undefined ? `:${password}` : ''}@` : ''}127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        // Tunnels are raw sockets the http server no longer tracks: close them by hand.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
