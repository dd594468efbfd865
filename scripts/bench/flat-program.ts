// The SDK's own floor for a resource count: BENCH_FLAT_RESOURCES trivial ConfigMaps under one provider, no
// components, no Outputs between them. `npm run bench` sets the count to the 200-service stack's.
import * as k8s from "@pulumi/kubernetes";

const count = Number(process.env.BENCH_FLAT_RESOURCES ?? "200");
const provider = new k8s.Provider("bench", {});
for (let i = 0; i < count; i++) {
    new k8s.core.v1.ConfigMap(
        `flat-${i}`,
        { metadata: { namespace: "apps" }, data: { index: String(i) } },
        { provider },
    );
}
