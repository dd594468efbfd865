import { expect } from "chai";
import {
    backupMaxAgeSeconds,
    cronJobScheduleProblem,
    cronMaxIntervalSeconds,
    scheduledBackupMaxAgeSeconds,
    scheduledBackupScheduleProblem,
} from "../lib/cron";

describe("cron: the CronJob and ScheduledBackup dialects", () => {
    it("computes the longest gap between runs", () => {
        expect(cronMaxIntervalSeconds("0 2 * * *")).to.equal(86_400);
        expect(cronMaxIntervalSeconds("*/15 * * * *")).to.equal(900);
        expect(cronMaxIntervalSeconds("0 */6 * * *")).to.equal(21_600);
        expect(cronMaxIntervalSeconds("0 3,15 * * *")).to.equal(43_200);
        expect(cronMaxIntervalSeconds("30 1 * * 1-5")).to.equal(3 * 86_400); // Friday to Monday
        expect(cronMaxIntervalSeconds("0 3 * * sun")).to.equal(7 * 86_400);
        expect(cronMaxIntervalSeconds("0 3 ? * MON-FRI")).to.equal(3 * 86_400);
        expect(cronMaxIntervalSeconds("0 0 1 * *")).to.equal(31 * 86_400);
        expect(cronMaxIntervalSeconds("@hourly")).to.equal(3600);
        expect(backupMaxAgeSeconds("0 2 * * *")).to.equal(90_000);
        expect(backupMaxAgeSeconds("0 2 * * *", 600)).to.equal(87_000);
    });

    // Each of these the CronJob controller (robfig/cron's standard parser) refuses; Number() would read "" as 0.
    const refused: [string, RegExp][] = [
        ["61 * * * *", /outside 0-59/],
        ["0 2 * *", /5 fields/],
        ["0 2 * * 7", /outside 0-6/],
        ["0 2 * * ,", /"" is not a number/],
        ["0 2-  * * *", /"" is not a number/],
        ["0x1 2 * * *", /"0x1" is not a number/],
        ["1e1 2 * * *", /"1e1" is not a number/],
        ["0 2 * * 1/0", /bad step/],
        ["0 2/1/2 * * *", /bad step/],
        ["0 1-2-3 * * *", /bad range/],
        ["TZ=UTC 0 2 * * *", /5 fields/],
        ["@every 1h", /5 fields/],
        ["0 0 30 2 *", /fewer than twice/],
    ];
    for (const [schedule, message] of refused) {
        it(`refuses "${schedule}" as a CronJob schedule`, () => {
            expect(cronJobScheduleProblem(schedule)).to.match(message);
        });
    }

    it("reads ScheduledBackup schedules with seconds first, and refuses the five-field form", () => {
        expect(scheduledBackupMaxAgeSeconds(["0 0 2 * * *"])).to.equal(90_000);
        expect(scheduledBackupMaxAgeSeconds(["0 0 2 * * *", "0 0 */6 * * *"])).to.equal(25_200);
        expect(scheduledBackupScheduleProblem("0 2 * * *")).to.match(/6 fields/);
        expect(scheduledBackupScheduleProblem("60 0 2 * * *")).to.match(/outside 0-59/);
        expect(scheduledBackupScheduleProblem("x 0 2 * * *")).to.match(/"x" is not a number/);
        expect(scheduledBackupScheduleProblem("*/30 0 2 * * *")).to.equal(undefined);
        expect(() => scheduledBackupMaxAgeSeconds([])).to.throw(/no ScheduledBackup/);
    });
});
