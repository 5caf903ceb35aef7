/**
 * Policy documents: loading (three shapes, YAML or JSON), merging, compiling and examples.
 * @module
 */
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
