/**
 * Cron schedules in the two dialects the stack hands them to, and the longest gap between two runs (which the
 * backup-staleness alerts and the restore verification need). Pure.
 *
 * - CronJob (the Kubernetes controller, robfig/cron's standard parser): five fields, minute first, or a macro
 *   such as @daily; day of week 0-6 or SUN-SAT; `?` means `*`; no TZ= prefix (the CronJob's timeZone says it).
 * - CloudNativePG ScheduledBackup: six fields, seconds first.
 *
 * The parser accepts a subset of what the controllers accept (not @every), and nothing they refuse.
 */

const MACROS: Record<string, string> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

function parseCronField(field: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
    const values = new Set<number>();
    // Decimal digits or a name only: Number() would read "" as 0 and "0x10" as 16, which the controller refuses.
    const toNumber = (token: string): number => {
        const idx = names.indexOf(token.toLowerCase());
        if (idx >= 0) return idx + nameBase;
        if (!/^\d+$/.test(token))
            throw new Error(`cron: "${token}" is not a number${names.length > 0 ? " or a name" : ""}`);
        return Number(token);
    };
    for (const part of field.split(",")) {
        const [range, stepText, extra] = part.split("/");
        if (extra !== undefined) throw new Error(`cron: bad step in "${part}"`);
        if (stepText !== undefined && !/^\d+$/.test(stepText)) throw new Error(`cron: bad step in "${part}"`);
        const step = stepText === undefined ? 1 : Number(stepText);
        if (step < 1) throw new Error(`cron: bad step in "${part}"`);
        let lo: number;
        let hi: number;
        if (range === "*" || range === "?") {
            [lo, hi] = [min, max];
        } else if (range.includes("-")) {
            const bounds = range.split("-");
            if (bounds.length !== 2) throw new Error(`cron: bad range "${range}"`);
            [lo, hi] = [toNumber(bounds[0]), toNumber(bounds[1])];
        } else {
            lo = toNumber(range);
            hi = stepText === undefined ? lo : max;
        }
        if (lo < min || hi > max || lo > hi) throw new Error(`cron: "${part}" is outside ${min}-${max}`);
        for (let v = lo; v <= hi; v += step) values.add(v);
    }
    return values;
}

/**
 * The longest gap, in seconds, between two consecutive runs of a CronJob schedule (five fields or a macro). Found
 * by walking four years of calendar days, so month lengths and leap days are accounted for. Throws on a schedule
 * the CronJob controller would refuse.
 */
export function cronMaxIntervalSeconds(schedule: string): number {
    const expanded = MACROS[schedule.trim().toLowerCase()] ?? schedule.trim();
    const fields = expanded.split(/\s+/);
    if (fields.length !== 5) throw new Error(`cron: "${schedule}" must have 5 fields`);
    const [minF, hourF, domF, monF, dowF] = fields;
    const minutesSet = [...parseCronField(minF, 0, 59)].sort((x, y) => x - y);
    const hours = [...parseCronField(hourF, 0, 23)].sort((x, y) => x - y);
    const doms = parseCronField(domF, 1, 31);
    const months = parseCronField(monF, 1, 12, MONTH_NAMES, 1);
    const dows = parseCronField(dowF, 0, 6, DAY_NAMES, 0);
    // Vixie cron: when both day fields are restricted, a day matching either one runs.
    const domStar = domF.startsWith("*") || domF.startsWith("?");
    const dowStar = dowF.startsWith("*") || dowF.startsWith("?");

    const dayMs = 86_400_000;
    const start = Date.UTC(2024, 0, 1);
    const runsPerDay = hours.flatMap((h) => minutesSet.map((m) => (h * 60 + m) * 60));
    let previous: number | undefined;
    let maxGap = 0;
    for (let day = 0; day < 4 * 366; day++) {
        const date = new Date(start + day * dayMs);
        const domOk = doms.has(date.getUTCDate());
        const dowOk = dows.has(date.getUTCDay());
        const dayOk = domStar || dowStar ? domOk && dowOk : domOk || dowOk;
        if (!months.has(date.getUTCMonth() + 1) || !dayOk) continue;
        const base = (start + day * dayMs) / 1000;
        for (const offset of runsPerDay) {
            const t = base + offset;
            if (previous !== undefined) maxGap = Math.max(maxGap, t - previous);
            previous = t;
        }
    }
    if (maxGap === 0) throw new Error(`cron: "${schedule}" runs fewer than twice in four years`);
    return maxGap;
}

/** The message a parse throws, or undefined when it succeeds. */
function problemOf(parse: () => unknown): string | undefined {
    try {
        parse();
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

/** Why a CronJob schedule is unusable (undefined when it is fine). */
export function cronJobScheduleProblem(schedule: string): string | undefined {
    return problemOf(() => cronMaxIntervalSeconds(schedule));
}

/** The longest gap of a ScheduledBackup schedule (six fields, seconds first); minute resolution is enough. */
export function scheduledBackupIntervalSeconds(schedule: string): number {
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 6)
        throw new Error(`cron: ScheduledBackup schedule "${schedule}" must have 6 fields (seconds first)`);
    parseCronField(fields[0], 0, 59);
    return cronMaxIntervalSeconds(fields.slice(1).join(" "));
}

/** Why a ScheduledBackup schedule is unusable (undefined when it is fine). */
export function scheduledBackupScheduleProblem(schedule: string): string | undefined {
    return problemOf(() => scheduledBackupIntervalSeconds(schedule));
}

/** Max age of the last successful backup: the schedule's longest interval plus a grace for the run itself. */
export function backupMaxAgeSeconds(schedule: string, graceSeconds = 3600): number {
    return cronMaxIntervalSeconds(schedule) + graceSeconds;
}

/**
 * Max age of the newest CloudNativePG base backup taken by several ScheduledBackups (six-field cron, seconds first):
 * the shortest of their longest intervals plus grace, since any of them refreshes the backup.
 */
export function scheduledBackupMaxAgeSeconds(schedules: readonly string[], graceSeconds = 3600): number {
    if (schedules.length === 0) throw new Error("cron: no ScheduledBackup schedule");
    return Math.min(...schedules.map((schedule) => scheduledBackupIntervalSeconds(schedule) + graceSeconds));
}
