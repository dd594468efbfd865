/** Kubernetes resource quantities ("500m", "1Gi", "2", "1e3"): validation and comparison. */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const SUFFIX: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

export function isQuantity(value: unknown): value is string {
    return typeof value === "string" && QUANTITY.test(value);
}

/** The quantity's value in base units (cores, bytes). Throws on malformed input. */
export function parseQuantity(value: string | number): number {
    if (typeof value === "number") return value;
    const match = QUANTITY.exec(value);
    if (!match) throw new Error(`"${value}" is not a Kubernetes quantity`);
    const [, number, exponent, suffix] = match;
    return parseFloat(number) * (exponent ? 10 ** parseInt(exponent.slice(1), 10) : SUFFIX[suffix ?? ""]);
}

/** Multiplies a quantity, keeping a readable unit: scaleQuantity("1Gi", 0.5) === "512Mi". */
export function scaleQuantity(value: string, factor: number): string {
    const base = parseQuantity(value) * factor;
    if (/i$/.test(value)) return `${Math.ceil(base / 2 ** 20)}Mi`;
    return `${Math.ceil(base * 1000)}m`;
}
