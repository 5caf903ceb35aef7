/**
 * Rules every policy starts with (the first layer of the merge): GTFOBins alerts escalate when
 * critical and are shadowed (allowed with heavy audit) when high; once a session has read
 * sensitive data, writes to hosts no rule knows are denied. A policy decides otherwise
 * with a rule of higher priority, or replaces one by name (`enabled: false` removes it).
 * @module
 */

/** The label of the built-in layer in messages and `sources`. */
export const BUILTIN_LABEL = "<built-in rules>";

/** Where this text is defined: the policy cache notices when it changes (an upgrade). */
export const BUILTIN_RULES_SOURCE: string = import.meta.url;

/** The built-in rules, as a policy document. */
export const BUILTIN_RULES_YAML = `policies:
  - name: gtfobins-critical
    priority: 650
    match: { domain: [command, process] }
    condition: "any(a.get('risk') == 'critical' for a in (annotations.gtfo_alerts or []))"
    action: escalate
    risk_level: critical
    audit: heavy
    reason: A GTFOBins escape (a shell or arbitrary command) is reachable; a human decides

  - name: gtfobins-high
    priority: 640
    match: { domain: [command, process] }
    condition: "any(a.get('risk') == 'high' for a in (annotations.gtfo_alerts or []))"
    action: shadow
    risk_level: high
    audit: heavy
    reason: A GTFOBins capability (a command, file write, library load or privileged context) is used; allowed with heavy audit

  # The operator's signing key signs approvals (docs/threat-model.md): no agent reads or writes
  # it. (A WATCHTOWER_OPERATOR_DIR elsewhere needs its own rule.)
  - name: protect-operator-keys
    priority: 1000
    match: { domain: [filesystem, search, ssh], path: ["~/.config/watchtower-operator/**", "~/.config/watchtower-operator"] }
    action: deny
    risk_level: critical
    audit: heavy
    reason: The operator's approval key is not for agents
    examples:
      match: ["~/.config/watchtower-operator/operator.key"]
      not_match: ["~/.config/other/file"]

  # A Deno agent under wt run (the permission broker): environment, system information and
  # starting programs are allowed (programs are decided again by the PATH shims and the monitor);
  # secrets in the environment are not. Reads, writes and the network are decided as files and
  # URLs by the rules above; FFI and anything else wait for a rule (the default).
  - name: allow-agent-env-sys-run
    priority: 10
    match: { domain: permission, operation: [env, sys, run] }
    action: allow
    reason: Environment, system information and programs (decided again at exec)
    examples:
      match: [{ operation: env, target: { value: HOME } }]
      not_match: [{ operation: ffi, target: { value: /lib/libc.so.6 } }]

  - name: deny-agent-secret-env
    priority: 20
    match:
      domain: permission
      operation: env
      resource: ["*SECRET*", "*TOKEN*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "*_KEY", "*_KEY_*", "*API_KEY*", "AWS_*", "GITHUB_*", "*PRIVATE*"]
    action: deny
    risk_level: high
    reason: Secrets in the environment are not for agents
    examples:
      match: [{ operation: env, target: { value: AWS_SECRET_ACCESS_KEY } }, { operation: env, target: { value: OPENAI_API_KEY } }]
      not_match: [{ operation: env, target: { value: HOME } }, { operation: env, target: { value: KEYBOARD_LAYOUT } }]

  # Chain rule: once a session has read something sensitive, sending data to a host no rule
  # knows is refused. The priority is below every rule a policy writes (0 and up), so a rule
  # that allows a host (or escalates it) still decides for that host.
  - name: deny-unknown-egress-after-sensitive-read
    priority: -100
    match: { domain: http, method: [POST, PUT, PATCH, DELETE] }
    condition: "zone != 'SAFE'"
    action: deny
    risk_level: high
    reason: This session has read sensitive data; sending data to a host no rule allows is refused
    examples:
      match:
        - { operation: post, target: { url: "https://unknown.example/upload" }, zone: SENSITIVE }
      not_match:
        - { operation: post, target: { url: "https://unknown.example/upload" }, zone: SAFE }
        - { operation: get, target: { url: "https://docs.example/guide" }, zone: SENSITIVE }
`;
