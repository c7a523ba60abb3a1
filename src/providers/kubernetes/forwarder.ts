/**
 * The gateway reaches replicas at 127.0.0.1:PORT (src/gateway/routes.ts builds that URL from the
 * replica's port). For pods, each replica gets a local TCP forwarder whose target is looked up per
 * connection, so when the replica's pod changes (a rebind after scale-down) new connections follow.
 * A stopgap until the route table takes a replica URL: one extra in-process hop, no protocol handling.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Target = { host: string; port: number } | undefined;

export class ForwarderPool {
  private readonly servers = new Map<string, Server>();
  private readonly sockets = new Map<string, Set<Socket>>();

  constructor(private readonly target: (replicaId: string) => Target, private readonly host = '127.0.0.1') {}

  /** Listens for `replicaId` (on `port` when given, e.g. after a restart); resolves the port. */
  async open(replicaId: string, port = 0): Promise<number> {
    const existing = this.servers.get(replicaId);
    if (existing) return (existing.address() as { port: number }).port;
    const open = new Set<Socket>();
    const srv = createServer((client) => {
      const t = this.target(replicaId);
      if (!t) return void client.destroy();
      const upstream = connect(t.port, t.host);
      open.add(client);
      const done = () => {
        open.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', done).on('close', done);
      upstream.on('error', done).on('close', done);
      client.pipe(upstream).pipe(client);
    });
    this.servers.set(replicaId, srv);
    this.sockets.set(replicaId, open);
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, this.host, () => resolve());
      });
    } catch (e) {
      this.servers.delete(replicaId);
      this.sockets.delete(replicaId);
      throw e;
    }
    return (srv.address() as { port: number }).port;
  }

  /** Stops listening and ends the replica's connections (`graceful`: lets open connections finish). */
  close(replicaId: string, graceful = false): void {
    this.servers.get(replicaId)?.close();
    if (!graceful) for (const s of this.sockets.get(replicaId) ?? []) s.destroy();
    this.servers.delete(replicaId);
    this.sockets.delete(replicaId);
  }

  closeAll(graceful = false): void {
    for (const id of [...this.servers.keys()]) this.close(id, graceful);
  }
}
