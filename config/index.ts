/** The config layer: schema (leaf), credential catalogue, cross-field rules, loading. See README, Development. */
export * from "./schema";
export * from "./credentials";
export { MAX_PUBLIC_HOSTS, MAX_ROUTE_TIMEOUT_SECONDS } from "./rules";
export {
    ConfigError,
    credentialSections,
    loadConfig,
    OTHER_CONFIG_NAMESPACES,
    parseConfig,
    ParseOptions,
    readRawConfig,
    unwrap,
} from "./load";
