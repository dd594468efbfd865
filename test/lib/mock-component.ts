/**
 * Runs a piece of program (e.g. one component constructed with hand-written args) under Pulumi's mocks and
 * records what it registers, including resource options the stack harness does not keep (replaceOnChanges,
 * deleteBeforeReplace). For component tests that need args index.ts does not (yet) pass.
 */
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { interceptRegistrations } from "./harness";

export interface MockedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly parent?: string;
    readonly dependencies: string[];
    readonly replaceOnChanges: string[];
    readonly deleteBeforeReplace: boolean;
    /** Name the mock gave (auto-naming emulated as `<name>-auto`). */
    readonly objectName?: string;
}

/** Calls `build` under mocks (after the returned promise resolves, all registrations are recorded). */
export async function renderUnderMocks(build: () => void, stack = "unit"): Promise<MockedResource[]> {
    const records = new Map<string, MockedResource>();
    pulumi.runtime.setAllConfig({}, []);
    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                const inputs = args.inputs;
                const state =
                    args.type.startsWith("kubernetes:") && inputs.metadata && inputs.metadata.name === undefined
                        ? { ...inputs, metadata: { ...inputs.metadata, name: `${args.name}-auto` } }
                        : inputs;
                return { id: args.custom ? `${args.name}-id` : undefined, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        "stackwright",
        stack,
        false,
    );
    interceptRegistrations(({ req, urn, type, name, parent }) => {
        const inputs = deserializeProperties(req.getObject());
        records.set(urn, {
            urn,
            type,
            name,
            inputs,
            parent: parent || undefined,
            dependencies: req.getDependenciesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            objectName: inputs.metadata?.name ?? (type.startsWith("kubernetes:") ? `${name}-auto` : undefined),
        });
    });
    build();
    await (pulumi.runtime as any).waitForRPCs();
    return [...records.values()];
}
