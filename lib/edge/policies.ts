/**
 * NGINX Gateway Fabric policies (gateway.nginx.org/v1alpha1) attached to each HTTPRoute: request body limit
 * (ClientSettingsPolicy), per-client rate limit (RateLimitPolicy) and upstream timeouts (ProxySettingsPolicy).
 * Field names and patterns follow the 2.6.7 CRDs.
 */
import { GATEWAY_API_GROUP } from "./gateway";
import type { EdgeRoute } from "./routes";

/** Idle timeout of websocket routes: no request timeout, but a silent connection is closed after an hour. */
export const WEBSOCKET_IDLE_TIMEOUT_SECONDS = 3600;
/** Shared-memory zone per rate-limited route: 10 MB holds about 160k client addresses. */
export const RATE_LIMIT_ZONE_SIZE = "10m";

function routeTarget(route: EdgeRoute) {
    return { group: GATEWAY_API_GROUP, kind: "HTTPRoute", name: route.name };
}

/**
 * An NGINX duration within the CRD pattern ^[0-9]{1,4}(ms|s|m|h)?$: seconds when they fit in 4 digits, else the
 * smallest whole unit that does (rounded up, so a timeout never gets shorter).
 */
export function nginxDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds <= 0)
        throw new Error(`duration must be a positive whole number of seconds, got ${seconds}`);
    if (seconds <= 9999) return `${seconds}s`;
    const minutes = Math.ceil(seconds / 60);
    if (minutes <= 9999) return `${minutes}m`;
    const hours = Math.ceil(seconds / 3600);
    if (hours <= 9999) return `${hours}h`;
    throw new Error(`duration of ${seconds}s is too long for NGINX Gateway Fabric (at most 9999h)`);
}

/** Request body limit (client_max_body_size) of a route. */
export function clientSettingsPolicySpec(route: EdgeRoute) {
    return { targetRef: routeTarget(route), body: { maxSize: route.clientMaxBodySize } };
}

/**
 * Per-client rate limit (limit_req keyed by the client address). Excess requests beyond the burst get 429;
 * the burst is served without delay so short spikes of a well-behaved client are not slowed down.
 */
export function rateLimitPolicySpec(route: EdgeRoute) {
    if (!route.rateLimit) return undefined;
    const { requestsPerSecond, burst } = route.rateLimit;
    return {
        targetRefs: [routeTarget(route)],
        rateLimit: {
            rejectCode: 429,
            logLevel: "warn",
            local: {
                rules: [
                    {
                        key: "$binary_remote_addr",
                        rate: `${requestsPerSecond}r/s`,
                        zoneSize: RATE_LIMIT_ZONE_SIZE,
                        ...(burst !== undefined ? { burst, noDelay: true } : {}),
                    },
                ],
            },
        },
    };
}

/**
 * Upstream timeouts (proxy_read/send_timeout). Regular routes: the request timeout; websocket routes: no request
 * timeout, only an idle timeout long enough for quiet connections. Buffering is off for websockets (streaming).
 */
export function proxySettingsPolicySpec(route: EdgeRoute) {
    const seconds = route.websocket ? WEBSOCKET_IDLE_TIMEOUT_SECONDS : route.timeoutSeconds;
    if (seconds === undefined) throw new Error(`route ${route.name}: a non-websocket route needs timeoutSeconds`);
    const timeout = nginxDuration(seconds);
    return {
        targetRefs: [routeTarget(route)],
        timeout: { connect: "5s", read: timeout, send: timeout },
        ...(route.websocket ? { buffering: { disable: true } } : {}),
    };
}
