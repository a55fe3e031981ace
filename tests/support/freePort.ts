import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port nothing listens on right now (for a child that must be told its port, such as the demo's shop). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
