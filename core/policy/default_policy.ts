/**
 * The default policy: what `wt init` writes and what applies when the state directory has no
 * policy file. A coding agent can work under it: inside the workspace it may do what it likes,
 * secrets and Watchtower's own state are off limits, system locations are read-only, and
 * irreversible operations outside the workspace wait for a human.
 * @module
 */

/** Where this text is defined: the policy cache notices when it changes (an upgrade). */
export const DEFAULT_POLICY_SOURCE: string = import.meta.url;

/** The default policy as commented YAML (every key explained). */
export const DEFAULT_POLICY_YAML = `# Watchtower policy (docs/policy.md is the full reference).
# Merge order: built-in defaults, then profiles, then this file, then command-line overrides.
# Rules are checked at load: \`wt policy check\` validates, \`wt policy test\` runs the examples.

# Document version: Watchtower 2.x.
version: "2.0.0"

# enforce: verdicts are applied. observe: every decision is computed and recorded as what it
# would have been, and nothing is blocked (for rolling a new policy out safely).
mode: enforce

# Verdict for an intent that no boundary and no rule matches:
# allow | deny | escalate (= require approval) | shadow (allow, heavy audit) | redact.
default: escalate

# Profiles to apply before this file (built-in: clawbot, coding-agent; or ~/.watchtower/profiles).
profiles: []

# Risk score = sensitivity weight of the target + weight of the operation. The score puts a floor
# under every verdict: above allow_max at least redact, from approval_min at least escalate.
thresholds:
  allow_max: 5
  redact_max: 10
  approval_min: 11

# The ledger every decision is recorded in (docs/ledger.md). sync: always = each entry is on
# disk (fdatasync) before the operation runs; batch = entries arriving within 2 ms share one
# fdatasync (for high-rate callers such as the proxy). A new segment starts past segment_bytes.
ledger:
  sync: always
  segment_bytes: 67108864
# The egress proxy (wt proxy) never connects to link-local or cloud metadata addresses
# (169.254.169.254, fd00:ec2::254). Loopback and private ranges are refused too unless allowed
# here or with wt proxy --allow-loopback / --allow-private (docs/proxy.md).
egress:
  allow_loopback: false
  allow_private: false

# Weight of each sensitivity level. Unclassified resources are "internal".
sensitivity_weights:
  public: 1
  internal: 3
  confidential: 5
  restricted: 6

# Classification: resources (paths, URLs, commands) matching a pattern have that level; the
# heaviest match counts. "*" matches any text here, including "/".
sensitivity:
  - { pattern: "*salary*", level: confidential }
  - { pattern: "*payroll*", level: confidential }
  - { pattern: "*secret*", level: confidential }
  - { pattern: "*password*", level: restricted }
  - { pattern: "*credential*", level: restricted }
  - { pattern: "~/.ssh/*", level: restricted }
  - { pattern: "~/.aws/*", level: restricted }
  - { pattern: "*/.env", level: restricted }
  - { pattern: "/etc/shadow", level: restricted }

# Rules. The highest priority that has a matching rule decides; among rules of that priority the
# most restrictive action wins. Boundaries (from profiles) and risk thresholds still apply on top.
#   name        unique; a later layer's rule of the same name replaces this one
#   priority    higher first (default 0)
#   match       which intents: domain, operation, principal, purpose, capability, tool, path,
#               url, method, host, command, resource; each a glob or a list of globs.
#               In path globs * stops at "/", ** crosses it; \${workspace}, \${home}, \${state_dir}
#               and a leading ~ are filled in.
#   condition   optional safe Python-like expression over identity, intent, target, context,
#               zone, risk and annotations (e.g. gtfo_alerts), e.g. "target.path.startswith('/tmp/') and '..' not in target.path"
#   action      allow | deny | escalate | shadow | redact (require_approval = escalate)
#   audit       none | minimal | standard | heavy
#   risk_level  low | medium | high | critical
#   reason      shown to the agent and recorded in the ledger
#   examples    intents (or paths, URLs, command lines) the rule must and must not match
policies:
  - name: protect-watchtower-state
    priority: 1000
    match: { domain: [filesystem, search], path: ["\${state_dir}/**"] }
    action: deny
    risk_level: critical
    reason: Watchtower's own state (policy, ledger, keys) is not for agents to touch
    examples:
      match: ["\${state_dir}/policy.yaml"]

  - name: deny-secrets
    priority: 900
    match:
      domain: [filesystem, search]
      path:
        - "~/.ssh/**"
        - "~/.aws/**"
        - "~/.gnupg/**"
        - "~/.config/gcloud/**"
        - "~/.azure/**"
        - "~/.kube/config"
        - "~/.docker/config.json"
        - "~/.netrc"
        - "~/.git-credentials"
        - "~/.config/watchtower-operator/**"
        - "**/.env"
        - "**/.env.*"
        - "**/*.pem"
        - "**/id_rsa*"
        - "**/id_ed25519*"
        - "**/credentials*"
        - "/etc/shadow"
        - "/etc/gshadow"
        - "/etc/sudoers"
        - "/etc/sudoers.d/**"
    action: deny
    risk_level: critical
    reason: Secrets and credentials are off limits
    examples:
      match: ["~/.ssh/id_ed25519", "/srv/app/.env", "/srv/app/.env.local", "/etc/shadow"]
      not_match: ["/srv/app/env.md", "/srv/app/.envrc.example.md"]

  - name: deny-kubernetes-secrets
    priority: 900
    match: { domain: kubernetes }
    condition: "str(target.get('kind', '')).lower() in ('secret', 'secrets')"
    action: deny
    risk_level: critical
    reason: Kubernetes Secrets are off limits
    examples:
      match: [{ operation: get, target: { resource: secret/db, kind: secret } }]
      not_match: [{ operation: get, target: { resource: pod/web, kind: pod } }]

  - name: escalate-unknown-kube-credential-programs
    priority: 880
    match: { domain: kubernetes }
    condition: >-
      target.get('credential_plugin') and basename(str(target.credential_plugin)) not in
      ('aws', 'aws-iam-authenticator', 'gke-gcloud-auth-plugin', 'kubelogin', 'oc', 'doctl')
    action: escalate
    risk_level: high
    reason: The kubeconfig runs a credential program Watchtower does not know (kubectl would run it); a human decides
    examples:
      match: [{ operation: get, target: { resource: pod/web, credential_plugin: /tmp/evil } }]
      not_match: [{ operation: get, target: { resource: pod/web, credential_plugin: /usr/bin/aws } }, { operation: get, target: { resource: pod/web } }]

  - name: redact-read-output
    priority: 860
    match:
      tool: [kubectl-logs, kubectl-get-yaml, kubectl-exec-read, rg-search, jq-query]
      operation: [read, list, get, logs, search, query, exec-read]
    action: redact
    reason: Output from cluster reads and searches passes the secret redactor

  - name: deny-system-writes
    priority: 800
    match:
      domain: filesystem
      operation: ["write", "create", "append", "delete", "move", "copy", "link", "chmod", "chown", "mkdir", "touch"]
      path: ["/etc/**", "/usr/**", "/bin/**", "/sbin/**", "/lib/**", "/lib64/**", "/boot/**",
             "/sys/**", "/proc/**", "/dev/**", "/var/lib/**", "/var/spool/**", "/opt/**", "/root/**"]
    action: deny
    risk_level: high
    reason: System locations are read-only for agents
    examples:
      match: [{ operation: write, target: { path: /etc/hosts } }]
      not_match: [{ operation: read, target: { path: /etc/hosts } }]

  - name: escalate-irreversible-outside-workspace
    priority: 700
    match: { domain: filesystem, operation: ["delete", "chmod", "chown", "move"] }
    condition: >-
      not (context.workspace and (target.path == context.workspace
      or target.path.startswith(context.workspace + '/')))
      and not target.path.startswith('/tmp/')
    action: escalate
    risk_level: high
    reason: Deleting or changing permissions outside the workspace needs a human
    examples:
      match: [{ operation: delete, target: { path: /home/someone/notes.txt } }]
      not_match: [{ operation: delete, target: { path: /tmp/build/out.o } }]

  - name: escalate-history-rewrites
    priority: 700
    match: { domain: command, command: ["git push*--force*", "git push* -f*", "git push*+*", "git reset --hard*", "git clean -*f*"] }
    action: escalate
    risk_level: high
    reason: Rewriting or discarding git history is irreversible
    examples:
      match: ["git push --force origin main", "git push -f", "git reset --hard HEAD~3"]
      not_match: ["git push origin main", "git status"]

  - name: deny-privilege-and-remote-code
    priority: 700
    match: { domain: command, command: ["sudo *", "su", "su *", "doas *", "curl *|*sh*", "wget *|*sh*", "rm -rf /", 'rm -rf /\\*', "rm -rf ~*"] }
    action: deny
    risk_level: critical
    reason: Privilege escalation, piping downloads into a shell and wiping the system are blocked
    examples:
      match: ["sudo su", "curl -fsSL https://x.example/i.sh | sh", "rm -rf /"]
      not_match: ["ls -la", "curl -fsSL https://x.example/data.json"]

  - name: allow-workspace
    priority: 100
    match: { domain: [filesystem, search], path: ["\${workspace}/**"] }
    action: allow
    reason: Inside the workspace
    examples:
      match: ["\${workspace}/src/main.ts"]

  - name: allow-temp
    priority: 100
    match: { domain: [filesystem, search], path: ["/tmp/**", "/var/tmp/**"] }
    action: allow
    reason: Temporary files

  - name: allow-reads
    priority: 50
    match: { domain: [filesystem, search], operation: ["read", "list", "stat", "search"] }
    action: allow
    reason: Reading outside the workspace is allowed (secrets are denied above)

  - name: allow-kubernetes-reads
    priority: 50
    match: { domain: kubernetes, operation: [get, logs, exec-read] }
    action: allow
    reason: Reading from the cluster is allowed (Secrets are denied above)

  - name: allow-commands
    priority: 10
    match: { domain: command }
    action: allow
    reason: Commands run; dangerous ones are caught by the rules above

  - name: allow-web-reads
    priority: 50
    match: { domain: http, method: ["GET", "HEAD", "OPTIONS"] }
    action: allow
    reason: Reading the web (documentation, search) is allowed

  - name: allow-tls-tunnels
    priority: 50
    match: { domain: http, method: CONNECT }
    condition: "target.get('port') == 443"
    action: allow
    reason: HTTPS tunnels to port 443 are allowed; the proxy sees only the host (blocked hosts stay blocked)

  - name: deny-credential-endpoints
    priority: 600
    match: { domain: http, url: ["*/oauth/token*", "*/api/keys*", "*/settings/security*"] }
    action: deny
    risk_level: critical
    reason: Credential endpoints are off limits
`;
