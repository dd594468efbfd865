/** Ports for servers that tests start on 127.0.0.1. */
import * as net from "net";

/**
 * `count` distinct free TCP ports on 127.0.0.1: all are held open together (so they differ), then released for
 * the servers under test to bind.
 */
export async function freePorts(count: number): Promise<number[]> {
    const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
    })));
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    return ports;
}

/** One free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
    return (await freePorts(1))[0];
}
