/**
 * Exact Kubernetes resource quantities (apimachinery `resource.Quantity` grammar):
 *   <quantity> ::= <signedNumber><suffix>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | "" | k | M | G | T | P | E | e<signedNumber> | E<signedNumber>
 * Values are kept as an exact rational (BigInt mantissa x 10^exp10 x 2^exp2) so "1Gi" vs "1073741824" or
 * "0.1" vs "100m" compare exactly, without floating point.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export interface Quantity {
    /** value = mantissa * 10^exp10 (the binary suffix is folded into the mantissa). */
    readonly mantissa: bigint;
    readonly exp10: number;
}

/** Parses a quantity (a string, or a number as Pulumi programs sometimes pass `cpu: 1`); undefined if malformed. */
export function parseQuantity(value: unknown): Quantity | undefined {
    if (typeof value === "number") {
        if (!Number.isFinite(value)) return undefined;
        value = String(value);
    }
    if (typeof value !== "string") return undefined;
    const match = QUANTITY.exec(value.trim());
    if (!match) return undefined;
    const [, sign, number, exponent, suffix] = match;
    const [whole, fraction = ""] = number.split(".");
    let mantissa = BigInt((whole || "0") + fraction);
    let exp10 = -fraction.length;
    if (exponent !== undefined) {
        exp10 += parseInt(exponent.slice(1), 10);
    } else if (suffix !== undefined && suffix in BINARY_SUFFIX) {
        mantissa *= 2n ** BigInt(BINARY_SUFFIX[suffix]);
    } else {
        exp10 += DECIMAL_SUFFIX[suffix ?? ""];
    }
    if (sign === "-") mantissa = -mantissa;
    return { mantissa, exp10 };
}

export function isQuantity(value: unknown): boolean {
    return parseQuantity(value) !== undefined;
}

/** -1, 0 or 1, exactly. */
export function compareQuantities(a: Quantity, b: Quantity): number {
    const exp = Math.min(a.exp10, b.exp10);
    const left = a.mantissa * 10n ** BigInt(a.exp10 - exp);
    const right = b.mantissa * 10n ** BigInt(b.exp10 - exp);
    return left < right ? -1 : left > right ? 1 : 0;
}

/** Approximate value in base units (cores, bytes), for messages only. */
export function quantityToNumber(q: Quantity): number {
    return Number(q.mantissa) * 10 ** q.exp10;
}
