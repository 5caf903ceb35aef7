import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { CheckpointError, generateSigner } from "../../../core/ledger/checkpoint.ts";
import { PolicyBundleError } from "../../../core/policy/bundle.ts";
import {
  policyKeysPath,
  readTrustedKeys,
  trustKey,
  untrustKey,
} from "../../../core/policy/trust.ts";

const alpha = await generateSigner("alpha");
const beta = await generateSigner("beta");

Deno.test("trustKey pins a key once; untrustKey removes it by name, key ID or text", () => {
  const stateDir = Deno.makeTempDirSync();
  equal(readTrustedKeys(stateDir).length, 0);
  equal(trustKey(stateDir, alpha.verifierKey).added, true);
  equal(trustKey(stateDir, `${alpha.verifierKey}\n`).added, false);
  equal(trustKey(stateDir, beta.verifierKey).added, true);
  deepEqual(readTrustedKeys(stateDir).map((key) => key.name), ["alpha", "beta"]);
  const betaId = beta.verifierKey.split("+")[1]!;
  deepEqual(untrustKey(stateDir, betaId.toUpperCase()).map((key) => key.keyId), [betaId]);
  deepEqual(untrustKey(stateDir, "nobody"), []);
  deepEqual(untrustKey(stateDir, "alpha").map((key) => key.text), [alpha.verifierKey]);
  equal(readTrustedKeys(stateDir).length, 0);
});

Deno.test("the pinned keys file keeps comments and names the line of a bad key", () => {
  const stateDir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(policyKeysPath(stateDir), `# fleet signers\n\n${alpha.verifierKey}\n`);
  trustKey(stateDir, beta.verifierKey);
  untrustKey(stateDir, "alpha");
  equal(
    Deno.readTextFileSync(policyKeysPath(stateDir)),
    `# fleet signers\n\n${beta.verifierKey}\n`,
  );
  Deno.writeTextFileSync(policyKeysPath(stateDir), `${beta.verifierKey}\nnot-a-key\n`);
  throws(() => readTrustedKeys(stateDir), (error) => {
    ok(error instanceof PolicyBundleError);
    equal(error.code, "no_trusted_keys");
    match(error.message, /policy-keys:2:/);
    return true;
  });
});

Deno.test("trustKey refuses a malformed key and one whose key ID does not match it", () => {
  const stateDir = Deno.makeTempDirSync();
  throws(() => trustKey(stateDir, "alpha+00000000+AAAA"), CheckpointError);
  const [name, id] = alpha.verifierKey.split("+");
  throws(
    () => trustKey(stateDir, `${name}+${id}+${beta.verifierKey.split("+")[2]}`),
    CheckpointError,
  );
  equal(readTrustedKeys(stateDir).length, 0);
});
