/** Prints the generated config reference: `npm run docs` writes it to docs/config-reference.md. */
import { renderConfigReference } from "./config-reference";

process.stdout.write(renderConfigReference());
