import { describe, expect, it } from "vitest";
import { DEV_ADMIN_TOKEN, devAllowedOrigins, devVars, namesInDevVars } from "../../dev/dev-vars";
import { createDevIdentity, DEV_ACCESS_AUD, DEV_ACCESS_TEAM_DOMAIN } from "../../dev/identity";

const DEV_URL = "http://127.0.0.1:8788";
const identity = await createDevIdentity(`${DEV_URL}/dev-identity`);

describe("what npm run dev supplies", () => {
  it("emulates every vendor and the identity provider on a fresh clone", () => {
    const { vars, emulated } = devVars(new Set(), DEV_URL, identity);
    expect(emulated).toEqual([
      "soniox",
      "speechmatics",
      "amivoice",
      "acedata",
      "assemblyai",
      "gemini",
      "deepgram",
      "openai",
      "elevenlabs",
      "mistral",
      "cartesia",
      "xai",
      "gladia",
      "azure",
      "aws-transcribe",
      "twilio-voice",
      "livekit",
    ]);
    expect(vars).toMatchObject({
      SONIOX_BASE_URL: DEV_URL,
      SPEECHMATICS_BASE_URL: DEV_URL,
      AMIVOICE_BASE_URL: DEV_URL,
      ACEDATA_BASE_URL: DEV_URL,
      DEEPGRAM_BASE_URL: DEV_URL,
      OPENAI_BASE_URL: DEV_URL,
      ASSEMBLYAI_BASE_URL: DEV_URL,
      GEMINI_BASE_URL: DEV_URL,
      ELEVENLABS_BASE_URL: DEV_URL,
      MISTRAL_BASE_URL: DEV_URL,
      CARTESIA_BASE_URL: DEV_URL,
      XAI_BASE_URL: DEV_URL,
      GLADIA_BASE_URL: DEV_URL,
      AZURE_SPEECH_ENDPOINT: DEV_URL,
      AWS_TRANSCRIBE_BASE_URL: DEV_URL,
      TWILIO_VOICE_BASE_URL: DEV_URL,
      AUTH_JWKS_URL: `${DEV_URL}/jwks.json`,
      AUTH_ISSUER: identity.issuer,
      AUTH_AUDIENCE: identity.audience,
      ADMIN_TOKEN: DEV_ADMIN_TOKEN,
      ACCESS_TEAM_DOMAIN: DEV_ACCESS_TEAM_DOMAIN,
      ACCESS_AUD: DEV_ACCESS_AUD,
      ACCESS_JWKS_URL: `${DEV_URL}/cdn-cgi/access/certs`,
      ALLOWED_ORIGINS: `${DEV_URL},http://localhost:8788`,
    });
  });

  it("leaves Cloudflare Access to .dev.vars when it names any of its settings", () => {
    for (const line of [
      "ACCESS_TEAM_DOMAIN=myteam.cloudflareaccess.com\n",
      "ACCESS_AUD=abc\n",
      "ACCESS_JWKS_URL=x\n",
    ]) {
      const { vars } = devVars(namesInDevVars(line), DEV_URL, identity);
      for (const name of ["ACCESS_TEAM_DOMAIN", "ACCESS_AUD", "ACCESS_JWKS_URL"]) expect(vars).not.toHaveProperty(name);
    }
  });

  it("leaves a vendor with a real secret in .dev.vars pointed at the real vendor", () => {
    const names = namesInDevVars("SONIOX_API_KEY=real-key\nAMIVOICE_SID=sid\nAMIVOICE_SPW=spw\n");
    const { vars, emulated } = devVars(names, DEV_URL, identity);
    expect(emulated).toEqual([
      "speechmatics",
      "acedata",
      "assemblyai",
      "gemini",
      "deepgram",
      "openai",
      "elevenlabs",
      "mistral",
      "cartesia",
      "xai",
      "gladia",
      "azure",
      "aws-transcribe",
      "twilio-voice",
      "livekit",
    ]);
    for (const name of ["SONIOX_API_KEY", "SONIOX_BASE_URL", "AMIVOICE_ISSUER_KEY", "AMIVOICE_BASE_URL"]) {
      expect(vars).not.toHaveProperty(name);
    }
  });

  it("leaves Azure to .dev.vars when it sets its region or endpoint, which beside the emulator's would clash", () => {
    for (const line of ["AZURE_SPEECH_REGION=westeurope\n", "AZURE_SPEECH_ENDPOINT=https://s.example\n"]) {
      const { vars, emulated } = devVars(namesInDevVars(line), DEV_URL, identity);
      expect(emulated).not.toContain("azure");
      expect(vars).not.toHaveProperty("AZURE_SPEECH_KEY");
      expect(vars).not.toHaveProperty("AZURE_SPEECH_ENDPOINT");
    }
  });

  it("leaves AWS Transcribe to .dev.vars when it sets a key or a region, which the emulator's key is not valid in", () => {
    for (const line of ["AWS_ACCESS_KEY_ID=AKIAREAL\n", "AWS_SECRET_ACCESS_KEY=s\n", "AWS_REGION=eu-west-1\n"]) {
      const { vars, emulated } = devVars(namesInDevVars(line), DEV_URL, identity);
      expect(emulated).not.toContain("aws-transcribe");
      for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_TRANSCRIBE_BASE_URL"]) {
        expect(vars).not.toHaveProperty(name);
      }
    }
  });

  it("leaves auth, origins and the admin token to .dev.vars when it sets them", () => {
    const names = namesInDevVars("AUTH_HS256_SECRET=x\nALLOWED_ORIGINS=https://a.example\nADMIN_TOKEN=t\n");
    const { vars } = devVars(names, DEV_URL, identity);
    for (const name of ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE", "ALLOWED_ORIGINS", "ADMIN_TOKEN"]) {
      expect(vars).not.toHaveProperty(name);
    }
  });

  it("leaves origins to .dev.vars when it sets NATIVE_APPS_ONLY, which the demo's origins would contradict", () => {
    const { vars } = devVars(namesInDevVars("NATIVE_APPS_ONLY=true\n"), DEV_URL, identity);
    expect(vars).not.toHaveProperty("ALLOWED_ORIGINS");
    expect(devAllowedOrigins(vars, "NATIVE_APPS_ONLY=true\n")).toEqual([]);
  });

  it("leaves auth to an identity provider preset in .dev.vars, whose derived settings the dev identity's would override", () => {
    const { vars } = devVars(namesInDevVars("AUTH_PROVIDER=firebase:my-project-1234\n"), DEV_URL, identity);
    for (const name of ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE"]) expect(vars).not.toHaveProperty(name);
  });

  it("reads names from .dev.vars, skipping comments and empty values", () => {
    const text =
      '# SONIOX_API_KEY=commented\nSPEECHMATICS_API_KEY=\nexport ACEDATA_PLATFORM_TOKEN = tok\n  ADMIN_TOKEN="quoted"\n';
    expect([...namesInDevVars(text)].sort()).toEqual(["ACEDATA_PLATFORM_TOKEN", "ADMIN_TOKEN"]);
  });

  it("tells the banner which origins the broker admits: the dev default, else .dev.vars' own", () => {
    const { vars } = devVars(new Set(), DEV_URL, identity);
    expect(devAllowedOrigins(vars, "")).toEqual([DEV_URL, "http://localhost:8788"]);

    const text = 'ALLOWED_ORIGINS="http://127.0.0.1:8788, http://localhost:5173"\n';
    const own = devVars(namesInDevVars(text), DEV_URL, identity).vars;
    expect(devAllowedOrigins(own, text)).toEqual([DEV_URL, "http://localhost:5173"]);
    expect(devAllowedOrigins(own, "ALLOWED_ORIGINS=\n")).toEqual([]);
    expect(devAllowedOrigins(own, "ALLOWED_ORIGINS=http://localhost:5173\nnot a setting\n")).toEqual([]);
  });
});
