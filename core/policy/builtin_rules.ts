/**
 * Rules every policy starts with (the first layer of the merge): GTFOBins alerts escalate when
 * critical and are shadowed (allowed with heavy audit) when high. A policy decides otherwise
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
`;
