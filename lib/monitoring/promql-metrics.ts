/**
 * Finds the metric names a PromQL expression (or a Grafana query) selects, so tests can hold every rule and
 * dashboard to the metrics catalog. A small scanner, not a parser: it drops strings, label matchers `{...}`,
 * ranges `[...]`, comments and Grafana variables, then keeps every identifier that is not a keyword, a function
 * or aggregation (followed by `(`), or a label list after by/without/on/ignoring/group_left/group_right.
 */

const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const KEYWORDS = new Set(["bool", "and", "or", "unless", "offset", "atan2", "inf", "nan"]);
// Aggregation operators are keywords even when `by (...)` stands between them and their argument.
const AGGREGATIONS = new Set([
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
]);

export function metricNamesInPromql(expr: string): string[] {
    const names = new Set<string>();
    const n = expr.length;
    let i = 0;

    const skipString = (quote: string): void => {
        i++;
        while (i < n && expr[i] !== quote) i += expr[i] === "\\" && quote !== "`" ? 2 : 1;
        i++;
    };
    // Skips a bracketed block, honouring strings inside it (label values may contain brackets).
    const skipBlock = (open: string, close: string): void => {
        let depth = 0;
        while (i < n) {
            const c = expr[i];
            if (c === '"' || c === "'" || c === "`") {
                skipString(c);
                continue;
            }
            if (c === open) depth++;
            if (c === close && --depth === 0) {
                i++;
                return;
            }
            i++;
        }
    };
    const nextNonSpace = (from: number): string => {
        let j = from;
        while (j < n && /\s/.test(expr[j])) j++;
        return expr[j] ?? "";
    };

    while (i < n) {
        const c = expr[i];
        if (c === '"' || c === "'" || c === "`") {
            skipString(c);
        } else if (c === "{") {
            skipBlock("{", "}");
        } else if (c === "[") {
            skipBlock("[", "]");
        } else if (c === "#") {
            while (i < n && expr[i] !== "\n") i++;
        } else if (c === "$") {
            // Grafana variables: $name, ${name:fmt}, [[name]] is handled by the `[` branch.
            i++;
            if (expr[i] === "{") skipBlock("{", "}");
            else while (i < n && /[A-Za-z0-9_]/.test(expr[i])) i++;
        } else if (/[0-9.]/.test(c)) {
            // Numbers and durations (1e6, 0x1f, 5m, 1h30m).
            while (i < n && (/[0-9A-Za-z._]/.test(expr[i]) || (/[eE]/.test(expr[i - 1]) && /[+-]/.test(expr[i])))) i++;
        } else if (/[A-Za-z_:]/.test(c)) {
            const start = i;
            while (i < n && /[A-Za-z0-9_:]/.test(expr[i])) i++;
            const ident = expr.slice(start, i);
            const lower = ident.toLowerCase();
            const next = nextNonSpace(i);
            if (LABEL_LIST_KEYWORDS.has(lower)) {
                if (next === "(") {
                    while (expr[i] !== "(") i++;
                    skipBlock("(", ")");
                }
            } else if (KEYWORDS.has(lower) || AGGREGATIONS.has(lower) || next === "(") {
                // keyword, function or aggregation
            } else {
                names.add(ident);
            }
        } else {
            i++;
        }
    }
    return [...names].sort();
}

/**
 * Metric names in a Grafana Prometheus variable query: `label_values(<selector>, <label>)`,
 * `label_values(<label>)`, `query_result(<expr>)`, `metrics(<regex>)`, or plain PromQL.
 */
export function metricNamesInVariableQuery(query: string): string[] {
    const q = query.trim();
    const labelValues = /^label_values\(\s*([\s\S]*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/.exec(q);
    if (labelValues) return metricNamesInPromql(labelValues[1]);
    if (/^label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/.test(q) || /^metrics\(/.test(q)) return [];
    const queryResult = /^query_result\(([\s\S]*)\)$/.exec(q);
    if (queryResult) return metricNamesInPromql(queryResult[1]);
    return metricNamesInPromql(q);
}
