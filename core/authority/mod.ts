/**
 * The authority boundary (stage 1): what an instruction text tries to take authority for, found
 * before the text enters the agent's chain, and the `instruction` intent the guard decides on it.
 * The verdicts are policy: the built-in rules (core/policy/builtin_authority_rules.ts) deny
 * findings in untrusted text and treat the user's own words more leniently.
 * @module
 */
export { AUTHORITY_CATEGORIES, AUTHORITY_PATTERNS, type AuthorityCategory } from "./patterns.ts";
export {
  type AuthorityFinding,
  type AuthorityScanner,
  createAuthorityScanner,
  EXCERPT_LENGTH,
  normalizeInstruction,
} from "./scan.ts";
export {
  INSTRUCTION_LIMITS,
  type InstructionIntents,
  instructionIntents,
  type InstructionOptions,
  isSourceName,
  UNKNOWN_SOURCE,
} from "./instruction.ts";
