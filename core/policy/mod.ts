/**
 * Policy documents: loading (three shapes, YAML or JSON), merging, compiling and examples; signed
 * policy bundles, the keys a host trusts, and pulling a bundle into force.
 * @module
 */
export {
  BUNDLE_ORIGIN,
  type BundleHeader,
  type BundleRefusal,
  bundleTime,
  decodeBundle,
  MAX_BUNDLE_BYTES,
  type OpenedBundle,
  openPolicyBundle,
  PolicyBundleError,
  readBundle,
  signPolicyBundle,
} from "./bundle.ts";
export { policyHash } from "./hash.ts";
export {
  bundlePath,
  DEFAULT_PULL_TIMEOUT_MS,
  type PolicyEvent,
  type PullOptions,
  pullPolicy,
  type PullResult,
} from "./pull.ts";
export {
  createPolicySigner,
  findPolicySigner,
  policySignerPaths,
  readPolicySigner,
} from "./signer.ts";
export { type PinnedKey, policyKeysPath, readTrustedKeys, trustKey, untrustKey } from "./trust.ts";
export {
  type CompiledPolicy,
  type CompiledRule,
  compilePolicy,
  needsRegex,
  type RuleOutcome,
} from "./compile.ts";
export { DEFAULT_POLICY_YAML } from "./default_policy.ts";
export { checkExamples, type ExampleFailure, type ExampleReport } from "./examples.ts";
export {
  compileMerged,
  DEFAULT_POLICY_LABEL,
  layersAround,
  type LoadOptions,
  loadPolicy,
  loadPolicyFromText,
  POLICY_FILE_NAMES,
  readPolicyFile,
  readProfile,
  type ReadResult,
  resolveLayers,
  userPolicyPath,
} from "./loader.ts";
export { layerFromDocument, mergeLayers, type PolicyLayer, type SettingsPatch } from "./layer.ts";
export {
  type AuditLevel,
  BUILTIN_SETTINGS,
  type MergedPolicy,
  type PolicySettings,
  type RuleDefinition,
} from "./model.ts";
export { ACTION_ALIASES, PolicyDocumentSchema } from "./schema.ts";
export { parseDocument, type SourceDocument } from "./source.ts";
export { fillVars, type PolicyVars } from "./vars.ts";
