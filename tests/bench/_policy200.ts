/** A realistic 200-rule policy for benchmarks: globs, conditions and URL rules across domains. */
export function policy200(): string {
  const rules: string[] = [];
  for (let i = 0; i < 60; i++) {
    rules.push(
      `  - { name: fs-path-${i}, priority: ${
        i % 7 * 10
      }, match: { domain: filesystem, operation: [write, delete], path: ["/srv/app${i}/**", "**/secret${i}*"] }, action: ${
        i % 3 === 0 ? "deny" : "allow"
      } }`,
    );
  }
  for (let i = 0; i < 40; i++) {
    rules.push(`  - name: fs-cond-${i}
    priority: ${i % 5 * 10}
    match: { domain: filesystem }
    condition: "target.path.startswith('/home/u${i}/') and '..' not in target.path and identity.capabilities.count('fs:read') > 0"
    action: ${i % 2 ? "allow" : "escalate"}`);
  }
  for (let i = 0; i < 20; i++) {
    rules.push(`  - name: fs-any-${i}
    match: { domain: filesystem, operation: read }
    condition: "any(target.path.startswith(p) for p in ('/etc/x${i}', '/usr/x${i}', '/opt/x${i}'))"
    action: deny`);
  }
  for (let i = 0; i < 40; i++) {
    rules.push(
      `  - { name: http-${i}, priority: ${
        i % 4 * 10
      }, match: { domain: http, url: ["*.site${i}.example/*", "*/api/v${i}/*"] }, action: ${
        i % 2 ? "allow" : "deny"
      } }`,
    );
  }
  for (let i = 0; i < 30; i++) {
    rules.push(
      `  - { name: cmd-${i}, priority: ${
        i % 3 * 10
      }, match: { domain: command, command: ["tool${i} *", "*--flag${i}*"] }, action: ${
        i % 2 ? "allow" : "escalate"
      } }`,
    );
  }
  for (let i = 0; i < 10; i++) {
    rules.push(
      `  - { name: purpose-${i}, match: { purpose: "team${i}", resource: "*records${i}*" }, action: escalate }`,
    );
  }
  return `default: escalate\npolicies:\n${rules.join("\n")}\n`;
}

/** Intents the benchmarks decide, cycling through domains and outcomes. */
export const BENCH_INTENTS = [
  { domain: "filesystem", operation: "read", target: { path: "/home/u7/project/src/main.ts" } },
  { domain: "filesystem", operation: "write", target: { path: "/srv/app12/data/out.json" } },
  { domain: "filesystem", operation: "read", target: { path: "/etc/x3/config" } },
  {
    domain: "http",
    operation: "get",
    target: { url: "https://www.site5.example/docs", method: "GET" },
  },
  { domain: "command", operation: "exec", target: { command: "tool4 --flag9 run" } },
  { domain: "filesystem", operation: "delete", target: { path: "/var/tmp/unknown" } },
] as const;
