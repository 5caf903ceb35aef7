/**
 * Facts about the machine Watchtower's binaries need: where glibc lives (FFI resolves a bare
 * library name against the working directory under a scoped permission, so only absolute paths).
 * @module
 */

/** Where Linux distributions keep glibc. */
export const LIBC_PATHS = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/usr/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
] as const;
