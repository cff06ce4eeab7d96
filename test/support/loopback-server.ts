// An HTTP server on 127.0.0.1 at a free port, for the fakes of AWS services that tests point the
// real SDK clients at. stop() also ends kept-alive connections, so jest never waits on open sockets.
import * as http from 'http';
import { AddressInfo, Socket } from 'net';

export class LoopbackServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(handler: http.RequestListener) {
    this.server = http.createServer(handler);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening; returns the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}
