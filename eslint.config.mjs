// Lint rules: typescript-eslint recommended, plus the rules that catch real bugs in Pulumi programs. Type-aware:
// a promise nobody awaits (a resource registered after the program "ends", an error swallowed) is an error.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "policy/node_modules/**", "policy/bin/**", "rendered/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            "no-console": "off",
        },
    },
    // Plain JavaScript (the Helm post-renderer, this file) has no type information to lint with.
    { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
