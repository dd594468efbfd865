// An empty Pulumi program (what `pulumi new typescript` starts from, without its resources): the yardstick that
// `npm run bench` measures the program's evaluation against, in the same run.
import * as pulumi from "@pulumi/pulumi";

export const stack = pulumi.getStack();
