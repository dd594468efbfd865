/**
 * Config files of a service (`files`): one ConfigMap of the service's own holds them, each mounted read-only at
 * its path by subPath (only that file is overlaid, the rest of its directory stays the image's), and a checksum of
 * their text on the pod template rolls the pods when one changes (subPath mounts never update in place).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { MountedFile } from "../../config/schema";
import { checksum } from "./env";

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Pod-template annotation: checksum of the service's files. */
export const FILES_CHECKSUM_ANNOTATION = "stackwright.io/files-checksum";
/** The pod volume of the files ConfigMap. */
export const FILES_VOLUME = "config-files";
/** Kubernetes refuses a ConfigMap over 1 MiB (all of it: keys, text and metadata); leave room for the metadata. */
export const FILES_MAX_BYTES = 1024 * 1024 - 16 * 1024;

/** The ConfigMap key of a file: its path without the leading '/', each '/' as "__" ("/etc/app/a.yaml" -> "etc__app__a.yaml"). */
export function fileKey(path: string): string {
    return path.replace(/^\//, "").replace(/\//g, "__");
}

/** The files ConfigMap's data: key per fileKey, the file's text. */
export function filesData(files: readonly MountedFile[]): Record<string, string> {
    return Object.fromEntries(files.map((f) => [fileKey(f.path), f.content]));
}

/** The volume of the files ConfigMap. */
export function filesVolume(configMapName: pulumi.Input<string>): Volume {
    return { name: FILES_VOLUME, configMap: { name: configMapName } };
}

/** One read-only mount per file, at its path. */
export function fileMounts(files: readonly MountedFile[]): VolumeMount[] {
    return files.map((f) => ({ name: FILES_VOLUME, mountPath: f.path, subPath: fileKey(f.path), readOnly: true }));
}

/** The pod-template annotation for the files; none without files. */
export function filesAnnotations(files: readonly MountedFile[]): Record<string, string> {
    return files.length > 0 ? { [FILES_CHECKSUM_ANNOTATION]: checksum(filesData(files)) } : {};
}
