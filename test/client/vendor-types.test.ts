import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createKeyClient, type MintedKey, type VendorId, type VendorOptions } from "../../src/client/index";
import document from "../../src/generated/assets/openapi.json";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * The client's vendor types are generated from the broker's own schemas. The
 * `@ts-expect-error` lines are checked by `npm run typecheck`: if the client
 * took any string or any options again, they would no longer be errors and the
 * type check would fail.
 */
describe("the client's generated vendor types", () => {
  it("are what `npm run openapi` writes from the broker's schemas (run it if this fails)", async () => {
    const check = run(process.execPath, [require.resolve("tsx/cli"), "scripts/openapi.ts", "--check"]);
    await expect(check).resolves.toMatchObject({ stdout: expect.stringContaining("vendor-types.ts is up to date") });
  }, 30_000);

  it("name every vendor the broker has, and no other", () => {
    const everyVendor: Record<VendorId, true> = {
      soniox: true,
      speechmatics: true,
      amivoice: true,
      acedata: true,
      deepgram: true,
      openai: true,
      assemblyai: true,
      elevenlabs: true,
      cartesia: true,
      gemini: true,
      azure: true,
      mistral: true,
      gladia: true,
      xai: true,
      livekit: true,
      "twilio-voice": true,
      "aws-transcribe": true,
    };
    const keyPaths = Object.keys(document.paths).filter((path) => path.startsWith("/v1/keys/"));
    expect(Object.keys(everyVendor).map((vendor) => `/v1/keys/${vendor}`)).toEqual(keyPaths);
  });

  it("type getKey per vendor", () => {
    const client = createKeyClient({ baseUrl: "https://broker.invalid", getIdToken: () => "token" });
    // Never called: these lines are here for the type checker.
    const typeOnly = () => {
      expectTypeOf(client.getKey("soniox", { single_use: true })).resolves.toEqualTypeOf<MintedKey<"soniox">>();
      expectTypeOf(client.getKey("speechmatics", { region: "eu" })).resolves.toHaveProperty("vendor");
      expectTypeOf<VendorOptions["soniox"]["usage_type"]>().toEqualTypeOf<
        "transcribe_websocket" | "tts_rt" | undefined
      >();
      expectTypeOf<VendorOptions["elevenlabs"]["kind"]>().toEqualTypeOf<
        "realtime_scribe" | "tts_websocket" | "agent" | undefined
      >();

      // @ts-expect-error a misspelled vendor
      void client.getKey("sonix");
      // @ts-expect-error a misspelled option
      void client.getKey("soniox", { singel_use: true });
      // @ts-expect-error another vendor's option
      void client.getKey("soniox", { region: "eu" });
      // @ts-expect-error an option of the wrong type
      void client.getKey("soniox", { single_use: "yes" });
      // @ts-expect-error a value outside the option's enum
      void client.getKey("speechmatics", { region: "us" });
      // @ts-expect-error invalidate takes a vendor id too
      client.invalidate("sonix");
    };
    expect(typeof typeOnly).toBe("function");
  });
});
