/** Public host names of the stack: a label under the domain, or a full name inside it. Pure. */
import { DNS_LABEL, DNS_SUBDOMAIN } from "../config/schema";

/** Resolves a route host ("api" or "api.example.com") to a full name inside the domain, or undefined if outside. */
export function publicHost(host: string, domain: string): string | undefined {
    if (DNS_LABEL.test(host)) return `${host}.${domain}`;
    if (DNS_SUBDOMAIN.test(host) && host.endsWith(`.${domain}`)) return host;
    return undefined;
}
