import * as pulumi from "@pulumi/pulumi"; export const stack = pulumi.getStack();
