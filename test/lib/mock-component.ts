/**
 * Runs a piece of program (e.g. one component constructed with hand-written args) under Pulumi's mocks and
 * records what it registers, including resource options the stack harness does not keep (replaceOnChanges,
 * deleteBeforeReplace). For component tests that need args index.ts does not (yet) pass.
 */
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";

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
    await pulumi.runtime.setMocks({
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            const inputs = args.inputs;
            const state = args.type.startsWith("kubernetes:") && inputs.metadata && inputs.metadata.name === undefined
                ? { ...inputs, metadata: { ...inputs.metadata, name: `${args.name}-auto` } }
                : inputs;
            return { id: args.custom ? `${args.name}-id` : undefined, state };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    }, "stackwright", stack, false);
    const monitor = (pulumi.runtime as any).getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        const urn: string = monitor.newUrn(parent, type, name);
        const inputs = deserializeProperties(req.getObject());
        records.set(urn, {
            urn, type, name, inputs, parent: parent || undefined,
            dependencies: req.getDependenciesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            objectName: inputs.metadata?.name ?? (type.startsWith("kubernetes:") ? `${name}-auto` : undefined),
        });
        return original(req, callback);
    };
    build();
    await (pulumi.runtime as any).waitForRPCs();
    return [...records.values()];
}
