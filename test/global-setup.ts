import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { TestProject } from "vitest/node";
import { amivoiceAccount } from "../dev/emulator/amivoice";
import { awsAccount } from "../dev/emulator/aws-transcribe";
import { livekitProject } from "../dev/emulator/livekit";
import { emulators, signedVendors, startEmulator } from "../dev/emulator/server";
import { twilioVoiceAccount } from "../dev/emulator/twilio-voice";
import { SIGNING_KEY_IDS, type SigningAlgorithm } from "./provided-context";

/** Starts the vendor emulator, the test identity provider and the test Access team's key set before any test file runs. */
export default async function setup(project: TestProject) {
  const signingKeys = {} as Record<SigningAlgorithm, JWK>;
  const publicKeys: JWK[] = [];
  for (const [alg, kid] of Object.entries(SIGNING_KEY_IDS) as [SigningAlgorithm, string][]) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    signingKeys[alg] = { ...(await exportJWK(privateKey)), kid, alg };
    publicKeys.push({ ...(await exportJWK(publicKey)), kid, alg, use: "sig" });
  }
  const publicJwks = { keys: publicKeys };
  const access = await generateKeyPair("RS256", { extractable: true });
  const accessKid = "access-1";
  // Served without `alg`, as a key set may be: the broker's own algorithm pin must then refuse RS512 and the like.
  const accessJwks = { keys: [{ ...(await exportJWK(access.publicKey)), kid: accessKid, use: "sig" }] };
  const emulator = await startEmulator({ publicJwks, accessJwks });

  project.provide("emulatorUrl", emulator.url);
  project.provide("signingKeys", signingKeys);
  project.provide("publicJwks", publicJwks);
  project.provide("accessSigningKey", { ...(await exportJWK(access.privateKey)), kid: accessKid });
  project.provide("amivoiceAccount", amivoiceAccount);
  project.provide("awsAccount", awsAccount);
  project.provide("twilioVoiceAccount", twilioVoiceAccount);
  project.provide("livekitProject", livekitProject);
  project.provide(
    "masterKeys",
    Object.fromEntries([...emulators, ...signedVendors].map((e) => [e.vendor, e.masterKey])),
  );

  return () => emulator.close();
}
