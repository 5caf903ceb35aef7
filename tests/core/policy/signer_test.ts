import { equal, match, rejects, throws } from "node:assert/strict";
import { parseVerifierKey } from "../../../core/ledger/checkpoint.ts";
import { WatchtowerError } from "../../../core/errors.ts";
import {
  createPolicySigner,
  findPolicySigner,
  policySignerPaths,
  readPolicySigner,
} from "../../../core/policy/signer.ts";

Deno.test("createPolicySigner writes a 0600 signer key and its verifier key, never over one", async () => {
  const dir = `${Deno.makeTempDirSync()}/operator`;
  const made = await createPolicySigner(dir, "fleet-policy");
  equal(made.signer, `${dir}/policy-fleet-policy.key`);
  equal(Deno.statSync(made.signer).mode! & 0o777, 0o600);
  equal(Deno.statSync(dir).mode! & 0o777, 0o700);
  equal(Deno.readTextFileSync(made.verifier).trim(), made.verifierKey);
  equal(parseVerifierKey(made.verifierKey).name, "fleet-policy");
  const key = await readPolicySigner(made.signer);
  equal(key.name, "fleet-policy");
  await rejects(createPolicySigner(dir, "fleet-policy"), /exists/);
});

Deno.test("findPolicySigner takes a name, a path, or the only key in the directory", async () => {
  const dir = Deno.makeTempDirSync();
  throws(() => findPolicySigner(dir), /no policy key/);
  const one = await createPolicySigner(dir, "one");
  equal(findPolicySigner(dir), one.signer);
  await createPolicySigner(dir, "two");
  throws(() => findPolicySigner(dir), /several policy keys/);
  equal(findPolicySigner(dir, "two"), `${dir}/policy-two.key`);
  equal(findPolicySigner(dir, one.signer), one.signer);
});

Deno.test("policy key names are file-safe and a broken key file is refused without its text", async () => {
  throws(() => policySignerPaths("/d", "../x"), WatchtowerError);
  throws(() => policySignerPaths("/d", "a b"), WatchtowerError);
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/policy-x.key`, "PRIVATE+KEY+secretstuff\n");
  await rejects(readPolicySigner(`${dir}/policy-x.key`), (error: Error) => {
    match(error.message, /not a signer key/);
    equal(error.message.includes("secretstuff"), false);
    return true;
  });
});
