import { type AudioSource, SonioxClient } from "@soniox/client";
import {
  BrokerError,
  createKeyClient,
  type MintedKey,
  sonioxConfig,
  type VendorId,
  type VendorOptions,
} from "../../src/client/index";
import { devToken } from "../dev-token";
import { connectWithKey } from "./connect";

/** Injected by the dev server into the page. */
declare global {
  interface Window {
    DEMO_CONFIG: { brokerUrl: string; emulatorUrl: string; emulatorWsUrl: string };
  }
}

const config = window.DEMO_CONFIG;
const emulator = { http: config.emulatorUrl, ws: config.emulatorWsUrl };
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const VENDOR_NAMES: Record<VendorId, string> = {
  soniox: "Soniox",
  speechmatics: "Speechmatics",
  amivoice: "AmiVoice",
  acedata: "AceData",
  openai: "OpenAI",
  deepgram: "Deepgram",
  assemblyai: "AssemblyAI",
  gemini: "Gemini Live",
  elevenlabs: "ElevenLabs",
  azure: "Azure AI Speech",
  cartesia: "Cartesia",
  xai: "xAI Voice Agent",
  mistral: "Mistral",
  gladia: "Gladia",
  "aws-transcribe": "Amazon Transcribe",
  "twilio-voice": "Twilio Voice",
  livekit: "LiveKit",
};

const EXAMPLE_OPTIONS: Record<string, object> = {
  soniox: { ttl_seconds: 300, usage_type: "transcribe_websocket" },
  speechmatics: { type: "rt" },
  amivoice: { bind_ip: true },
  acedata: { ttl_seconds: 3600 },
  openai: { ttl_seconds: 600, session_type: "realtime", model: "gpt-realtime" },
  deepgram: { ttl_seconds: 60 },
  assemblyai: { ttl_seconds: 60, max_session_duration_seconds: 1800 },
  gemini: { ttl_seconds: 600, uses: 1, model: "gemini-live-2.5-flash-preview" },
  elevenlabs: { kind: "realtime_scribe" },
  cartesia: { ttl_seconds: 600, grants: ["stt"] },
  xai: { ttl_seconds: 300 },
  mistral: { ttl_seconds: 300, model: "voxtral-mini-transcribe-realtime-2602" },
  azure: {},
  gladia: { encoding: "wav/pcm", sample_rate: 16000, languages: "en" },
  "aws-transcribe": { ttl_seconds: 60, language_code: "en-US", media_encoding: "pcm", sample_rate: 16000 },
  "twilio-voice": { ttl_seconds: 600, incoming: true },
  livekit: { ttl_seconds: 600, room: "demo-room", can_publish: true, name: "Demo user" },
};
/**
 * What makes a vendor's key open one connection only. The emulator enforces it
 * for these; Speechmatics, AmiVoice, AceData, OpenAI and Deepgram keys
 * open any number of sessions until they expire, so their demo uses Soniox.
 */
const SINGLE_USE_OPTIONS: Partial<Record<VendorId, object>> = {
  soniox: { single_use: true },
  // Every AssemblyAI streaming token is single-use.
  assemblyai: {},
  // Scribe and text-to-speech tokens are single-use; agent signed URLs are not.
  elevenlabs: { kind: "realtime_scribe" },
  // A Gemini token with one use opens one Live session.
  gemini: { uses: 1 },
};
/**
 * The expired-key demo mints a key with the vendor's shortest TTL and waits that
 * long: Soniox, Deepgram and AssemblyAI 1 s, AmiVoice and OpenAI 10 s. Speechmatics
 * and AceData keys live at least 60 s and ElevenLabs' a fixed 15 minutes, so their
 * demo uses Soniox.
 */
const MAX_EXPIRY_WAIT_SECONDS = 10;
/** Past its expiry, so that the vendor is sure to have it expired. */
const EXPIRY_GRACE_MS = 500;
/** The vendor either demo uses when the selected one cannot show it: its keys can be single-use and live 1 s. */
const FALLBACK_VENDOR: VendorId = "soniox";
/** 100 ms of 16 kHz mono PCM16 audio, in bytes. */
const AUDIO_CHUNK_BYTES = 3200;
const AUDIO_CHUNK_MS = 100;

let idToken: string | undefined;
let current: MintedKey | undefined;

/** One entry of the broker's `GET /v1/vendors`: a vendor the signed-in user may mint for. */
interface VendorListing {
  id: VendorId;
  ttl_seconds: { min: number; max: number; default: number };
}
/** The signed-in user's vendors, from the broker. */
let listings = new Map<VendorId, VendorListing>();

// Before "Sign in" there is no token, and getKey fails with not_signed_in without a request.
const keys = createKeyClient({ baseUrl: config.brokerUrl, getIdToken: () => idToken });

function log(line: string) {
  $("log").textContent = `${new Date().toISOString().slice(11, 23)}  ${line}\n${$("log").textContent}`;
}

function setStatus(text: string, ok: boolean) {
  const status = $("status");
  status.textContent = text;
  status.className = ok ? "ok" : "bad";
}

function masked(key: string) {
  return key.length <= 12 ? "•".repeat(key.length) : `${key.slice(0, 6)}…${key.slice(-4)}`;
}

function describe(error: unknown) {
  return error instanceof BrokerError ? `${error.status} ${error.code}: ${error.message}` : String(error);
}

async function signIn() {
  const sub = $<HTMLInputElement>("user").value.trim();
  try {
    idToken = await devToken(config.emulatorUrl, sub);
  } catch (error) {
    return log(`sign-in failed: ${(error as Error).message}`);
  }
  keys.invalidate();
  $("signed-in").textContent = `Signed in as ${sub}`;
  log(`signed in as ${sub}`);

  const vendors = await fetch(`${config.brokerUrl}/v1/vendors`, { headers: { Authorization: `Bearer ${idToken}` } });
  if (!vendors.ok) return log(`listing vendors failed: status ${vendors.status}`);
  const list = ((await vendors.json()) as { vendors: VendorListing[] }).vendors;
  listings = new Map(list.map((listing) => [listing.id, listing]));
  const select = $<HTMLSelectElement>("vendor");
  select.replaceChildren(...list.map(({ id }) => new Option(id, id)));
  // Until a user with vendors signs in, a hint stands where the list will be.
  select.hidden = list.length === 0;
  $("vendor-hint").textContent = list.length === 0 ? `no vendors are enabled for ${sub}` : "";
  $("vendor-hint").hidden = list.length > 0;
  $<HTMLButtonElement>("mint").disabled = list.length === 0;
  $<HTMLButtonElement>("soniox-sdk").disabled = !listings.has("soniox");
  vendorChanged();
}

function selectedVendor() {
  // The list comes from the broker's /v1/vendors, so it holds only vendor ids.
  return $<HTMLSelectElement>("vendor").value as VendorId;
}

function vendorName(vendor: VendorId) {
  return VENDOR_NAMES[vendor] ?? vendor;
}

function vendorChanged() {
  $<HTMLTextAreaElement>("options").value = JSON.stringify(EXAMPLE_OPTIONS[selectedVendor()] ?? {});
  showDemoPlans();
}

/** The vendor a demo uses, and why it is not the selected one when it is not. */
interface DemoPlan {
  vendor: VendorId;
  instead?: string;
}

function seconds(value: number) {
  return value >= 120 && value % 60 === 0 ? `${value / 60} minutes` : `${value} s`;
}

/** The selected vendor when its shortest-lived key expires soon enough to wait for, else the fallback. */
function expiredPlan(selected: VendorId): DemoPlan | undefined {
  const ttl = listings.get(selected)?.ttl_seconds;
  if (ttl && ttl.min <= MAX_EXPIRY_WAIT_SECONDS) return { vendor: selected };
  const fallbackTtl = listings.get(FALLBACK_VENDOR)?.ttl_seconds;
  if (!ttl || !fallbackTtl || fallbackTtl.min > MAX_EXPIRY_WAIT_SECONDS) return undefined;
  const life = ttl.min === ttl.max ? `live a fixed ${seconds(ttl.min)}` : `live at least ${seconds(ttl.min)}`;
  const instead = `${vendorName(selected)} keys ${life}, too long to wait for, so the expired-key demo uses ${vendorName(FALLBACK_VENDOR)}.`;
  return { vendor: FALLBACK_VENDOR, instead };
}

/** The selected vendor when it issues single-use keys, else the fallback. */
function singleUsePlan(selected: VendorId): DemoPlan | undefined {
  if (!listings.has(selected)) return undefined;
  if (SINGLE_USE_OPTIONS[selected]) return { vendor: selected };
  if (!listings.has(FALLBACK_VENDOR)) return undefined;
  const instead = `${vendorName(selected)} keys open any number of sessions until they expire, so the single-use demo uses ${vendorName(FALLBACK_VENDOR)}.`;
  return { vendor: FALLBACK_VENDOR, instead };
}

/** Names on each demo button the vendor it will use, and says why when that is not the selected one. */
function showDemoPlans() {
  const selected = selectedVendor();
  const expired = expiredPlan(selected);
  const singleUse = singleUsePlan(selected);
  const tryExpiredButton = $<HTMLButtonElement>("try-expired");
  tryExpiredButton.textContent = expired ? `Try an expired ${vendorName(expired.vendor)} key` : "Try an expired key";
  tryExpiredButton.disabled = !expired;
  const singleUseButton = $<HTMLButtonElement>("try-single-use");
  singleUseButton.textContent = singleUse
    ? `Use a single-use ${vendorName(singleUse.vendor)} key twice`
    : "Use a single-use key twice";
  singleUseButton.disabled = !singleUse;
  const hint = $("demo-hint");
  hint.textContent = [expired?.instead, singleUse?.instead].filter(Boolean).join(" ");
  hint.hidden = hint.textContent === "";
}

function showKey(key: MintedKey) {
  $("key-details").hidden = false;
  $("key-vendor").textContent = key.vendor;
  $("key-masked").textContent = masked(key.key);
  $("key-expires").textContent = key.expires_at;
  $("key-client-ref").textContent = key.client_ref;
  $("key-issuance").textContent = key.issuance_id;
}

async function mint() {
  const vendor = selectedVendor();
  try {
    const options = JSON.parse($<HTMLTextAreaElement>("options").value || "{}");
    current = await keys.getKey(vendor, options);
    showKey(current);
    $<HTMLButtonElement>("connect").disabled = false;
    log(`minted ${vendor} key ${masked(current.key)}, expires ${current.expires_at}`);
  } catch (error) {
    log(`mint failed: ${describe(error)}`);
    setStatus(`Mint failed: ${describe(error)}`, false);
  }
}

async function connect(key: MintedKey, label: string) {
  $("transcript").textContent = "";
  setStatus(`${label}: connecting…`, true);
  const result = await connectWithKey(key, emulator.http, (text) => ($("transcript").textContent = text));
  setStatus(`${label}: ${result.accepted ? "accepted" : `refused (${result.detail})`}`, result.accepted);
  log(`${label} ${masked(key.key)}: ${result.accepted ? "accepted" : "refused"}: ${result.detail}`);
  return result;
}

/** The vendor's example options with `extra` over them; the page builds them per vendor, so the cast holds. */
function optionsFor(vendor: VendorId, extra: object) {
  return { ...EXAMPLE_OPTIONS[vendor], ...extra } as VendorOptions[VendorId];
}

async function tryExpired() {
  const plan = expiredPlan(selectedVendor());
  const ttl = plan && listings.get(plan.vendor)?.ttl_seconds.min;
  if (!plan || ttl === undefined) return;
  const name = vendorName(plan.vendor);
  // A key of its own, never one cached by an earlier click that has yet to expire.
  keys.invalidate(plan.vendor);
  try {
    const key = await keys.getKey(plan.vendor, optionsFor(plan.vendor, { ttl_seconds: ttl }));
    showKey(key);
    log(`minted a ${ttl}-second ${name} key; waiting for it to expire`);
    setStatus(`Expired ${name} key: waiting ${ttl} s for it to expire…`, true);
    await new Promise((resolve) => setTimeout(resolve, ttl * 1000 + EXPIRY_GRACE_MS));
    await connect(key, `Expired ${name} key`);
  } catch (error) {
    log(`expired-key demo failed: ${describe(error)}`);
  }
}

async function trySingleUse() {
  const plan = singleUsePlan(selectedVendor());
  if (!plan) return;
  const name = vendorName(plan.vendor);
  try {
    const key = await keys.getKey(plan.vendor, optionsFor(plan.vendor, SINGLE_USE_OPTIONS[plan.vendor] ?? {}));
    showKey(key);
    await connect(key, `Single-use ${name} key, first use`);
    await connect(key, `Single-use ${name} key, second use`);
  } catch (error) {
    log(`single-use demo failed: ${describe(error)}`);
  }
}

/**
 * Soniox's own SDK, `@soniox/client`, with the client's `sonioxConfig` as its
 * `config`: each recording (and each reconnect) gets a fresh single-use key
 * from the broker, sent to the emulator's WebSocket.
 */
const sonioxSdkConfig = sonioxConfig(keys, { stt_ws_url: `${emulator.ws}/transcribe-websocket` });
const sonioxSdk = new SonioxClient({ config: sonioxSdkConfig });

/** Silence stands in for the microphone, which a headless browser does not have. */
function generatedAudio(): AudioSource {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    async start({ onData }) {
      timer = setInterval(() => onData(new ArrayBuffer(AUDIO_CHUNK_BYTES)), AUDIO_CHUNK_MS);
    },
    stop: () => clearInterval(timer),
  };
}

function recordWithSonioxSdk() {
  const label = "@soniox/client";
  $("transcript").textContent = "";
  setStatus(`${label}: connecting…`, true);
  const recording = sonioxSdk.realtime.record({
    model: "stt-rt-v3",
    audio_format: "pcm_s16le",
    sample_rate: 16000,
    num_channels: 1,
    source: generatedAudio(),
  });
  let transcript = "";
  recording.on("error", sonioxSdkConfig.refused);
  recording.on("connected", () => setStatus(`${label}: recording`, true));
  recording.on("result", (result) => {
    transcript += result.tokens.map((token) => token.text).join("");
    $("transcript").textContent = transcript.trim();
  });
  recording.on("finished", () => {
    setStatus(`${label}: finished`, true);
    log(`${label} recording finished: ${transcript.trim()}`);
  });
  recording.on("error", (error) => {
    setStatus(`${label}: ${error.message}`, false);
    log(`${label} recording failed: ${describe(error)}`);
  });
}

$("sign-in").addEventListener("click", () => void signIn());
$("vendor").addEventListener("change", vendorChanged);
$("mint").addEventListener("click", () => void mint());
$("connect").addEventListener("click", () => current && void connect(current, "Connect"));
$("try-expired").addEventListener("click", () => void tryExpired());
$("try-single-use").addEventListener("click", () => void trySingleUse());
$("soniox-sdk").addEventListener("click", recordWithSonioxSdk);
