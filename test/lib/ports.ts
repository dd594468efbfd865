/** Ports for servers that tests start on 127.0.0.1. */
import * as fs from "fs";
import * as net from "net";

/** Lowest port the kernel hands out to outgoing connections (Linux default 32768). */
function ephemeralLow(): number {
    try {
        const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
        return Number.isInteger(low) && low > 0 ? low : 32768;
    } catch {
        return 32768;
    }
}

const LOWEST_TEST_PORT = 10_000;

function tryListen(port: number): Promise<net.Server | undefined> {
    return new Promise((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(undefined));
        s.listen(port, "127.0.0.1", () => resolve(s));
    });
}

/**
 * `count` distinct free TCP ports on 127.0.0.1, held open together (so they differ), then released for the
 * servers under test to bind.
 *
 * They lie below the kernel's ephemeral range: a port from that range can be taken by any outgoing connection
 * (or a client connecting to itself while the server is down) in the moment between this check and the bind,
 * or while a test has a server stopped, which made the restart of a killed Redis primary fail now and then.
 */
export async function freePorts(count: number): Promise<number[]> {
    const high = ephemeralLow() - 1;
    const held: net.Server[] = [];
    const tried = new Set<number>();
    const span = high - LOWEST_TEST_PORT + 1;
    while (held.length < count && span > 0 && tried.size < Math.min(span, 500)) {
        const port = LOWEST_TEST_PORT + Math.floor(Math.random() * span);
        if (tried.has(port)) {
            continue;
        }
        tried.add(port);
        const server = await tryListen(port);
        if (server !== undefined) {
            held.push(server);
        }
    }
    const ports = held.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    if (ports.length < count) {
        throw new Error(
            `found only ${ports.length} of ${count} free ports in ${LOWEST_TEST_PORT}-${high} on 127.0.0.1`,
        );
    }
    return ports;
}

/** One free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
    return (await freePorts(1))[0];
}
