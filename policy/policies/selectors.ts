/** Kubernetes label selectors, evaluated with three-valued logic: values unknown at preview give "unknown". */
import { arr, get, isObject, isUnknown, obj, Unknown, UNKNOWN } from "./values";

export type Labels = Record<string, string | Unknown> | Unknown;
export type Match = true | false | Unknown;

function and(results: Match[]): Match {
    if (results.includes(false)) return false;
    return results.includes(UNKNOWN) ? UNKNOWN : true;
}

/** A `{ matchLabels, matchExpressions }` selector. An empty selector matches everything; an absent one, nothing. */
export function matchesLabelSelector(selector: unknown, labels: Labels): Match {
    if (isUnknown(selector)) return UNKNOWN;
    if (!isObject(selector)) return false;
    const results: Match[] = [matchesLabelMap(get(selector, "matchLabels"), labels, true)];
    const expressions = get(selector, "matchExpressions");
    if (isUnknown(expressions)) return and([...results, UNKNOWN]);
    for (const expression of arr(expressions)) results.push(matchesExpression(expression, labels));
    return and(results);
}

/** A plain map selector (Service.spec.selector, matchLabels). `emptyMatchesAll` false makes `{}` match nothing. */
export function matchesLabelMap(selector: unknown, labels: Labels, emptyMatchesAll: boolean): Match {
    if (isUnknown(selector)) return UNKNOWN;
    const entries = Object.entries(obj(selector));
    if (entries.length === 0) return emptyMatchesAll;
    const results: Match[] = entries.map(([key, value]) => {
        if (isUnknown(value) || isUnknown(labels)) return UNKNOWN;
        const actual = labels[key];
        if (isUnknown(actual)) return UNKNOWN;
        return actual === String(value);
    });
    return and(results);
}

function matchesExpression(expression: unknown, labels: Labels): Match {
    if (isUnknown(expression) || isUnknown(labels)) return UNKNOWN;
    const key = get(expression, "key");
    const operator = get(expression, "operator");
    const values = get(expression, "values");
    if (isUnknown(key) || isUnknown(operator) || isUnknown(values)) return UNKNOWN;
    if (typeof key !== "string") return false;
    const actual = labels[key];
    if (isUnknown(actual)) return UNKNOWN;
    const list = arr(values);
    if (list.some(isUnknown)) return UNKNOWN;
    const has = actual !== undefined;
    switch (operator) {
        case "In":
            return has && list.map(String).includes(actual as string);
        case "NotIn":
            return !has || !list.map(String).includes(actual as string);
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
        default:
            return false;
    }
}
