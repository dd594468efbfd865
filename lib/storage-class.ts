/** Which StorageClass a data store's volumes use. */
import type { StackConfig } from "../config/schema";
import { environmentDefaults } from "./defaults";

/** The section's class (e.g. `postgres.storageClass`), else the stack's `storageClass`, else the environment default. */
export function storageClassFor(cfg: StackConfig, sectionClass: string | undefined): string {
    return sectionClass ?? cfg.storageClass ?? environmentDefaults(cfg.environment).storageClass;
}
