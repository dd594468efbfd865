// Lint rules: typescript-eslint recommended, plus the rules that catch real bugs in Pulumi programs.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "policy/node_modules/**", "policy/bin/**", "rendered/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            "@typescript-eslint/no-explicit-any": "off",
            "no-console": "off",
        },
    },
);
