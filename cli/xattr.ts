/**
 * Reads whether a file has Linux file capabilities (the `security.capability` extended
 * attribute) through libc's getxattr over Deno FFI, since Deno has no extended-attribute API.
 * Where FFI is not permitted or libc is not found, the answer is "unknown", never "no".
 * @module
 */

import { LIBC_PATHS } from "../core/platform.ts";

export { LIBC_PATHS };

const ENODATA = 61;
const ENOTSUP = 95;
const encoder = new TextEncoder();
const NAME = encoder.encode("security.capability\0");

/** Answers whether a path has file capabilities: true, false, or "unknown". */
export type CapabilityCheck = (path: string) => boolean | "unknown";

/** The check, or undefined when FFI or libc is not available here. */
export function capabilityCheck(): CapabilityCheck | undefined {
  if (Deno.build.os !== "linux") return undefined;
  for (const path of LIBC_PATHS) {
    try {
      if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") continue;
      Deno.statSync(path);
      const libc = Deno.dlopen(path, {
        getxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
        __errno_location: { parameters: [], result: "pointer" },
      });
      const buffer = new Uint8Array(64);
      return (file) => {
        const result = libc.symbols.getxattr(
          encoder.encode(`${file}\0`),
          NAME,
          buffer,
          BigInt(buffer.length),
        );
        if (Number(result) > 0) return true;
        const errnoPointer = libc.symbols.__errno_location();
        const errno = errnoPointer ? new Deno.UnsafePointerView(errnoPointer).getInt32() : -1;
        // No attribute, or a file system without extended attributes: no capabilities.
        if (errno === ENODATA || errno === ENOTSUP) return false;
        return "unknown";
      };
    } catch {
      // not loadable here: try the next path
    }
  }
  return undefined;
}
