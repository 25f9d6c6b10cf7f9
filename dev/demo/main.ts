import { type AudioSource, SonioxClient } from "@soniox/client";
import { BrokerError, createKeyClient, type MintedKey, sonioxConfig, type VendorId } from "../../src/client/index";
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

const EXAMPLE_OPTIONS: Record<string, object> = {
  soniox: { ttl_seconds: 300, usage_type: "transcribe_websocket" },
  speechmatics: { type: "rt" },
  amivoice: { bind_ip: true },
  acedata: { ttl_seconds: 3600 },
  openai: { ttl_seconds: 600, session_type: "realtime", model: "gpt-realtime" },
  deepgram: { ttl_seconds: 60 },
  assemblyai: { ttl_seconds: 60, max_session_duration_seconds: 1800 },
  elevenlabs: { kind: "realtime_scribe" },
};
/** Soniox is the one vendor whose keys can live a single second. */
const EXPIRED_DEMO_TTL_SECONDS = 1;
/** 100 ms of 16 kHz mono PCM16 audio, in bytes. */
const AUDIO_CHUNK_BYTES = 3200;
const AUDIO_CHUNK_MS = 100;

let idToken: string | undefined;
let current: MintedKey | undefined;

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
  const list = ((await vendors.json()) as { vendors: { id: string }[] }).vendors;
  const select = $<HTMLSelectElement>("vendor");
  select.replaceChildren(...list.map(({ id }) => new Option(id, id)));
  showExampleOptions();
  for (const id of ["mint", "try-expired", "try-single-use", "soniox-sdk"]) $<HTMLButtonElement>(id).disabled = false;
}

function showExampleOptions() {
  $<HTMLTextAreaElement>("options").value = JSON.stringify(EXAMPLE_OPTIONS[$<HTMLSelectElement>("vendor").value] ?? {});
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
  // The list comes from the broker's /v1/vendors, so it holds only vendor ids.
  const vendor = $<HTMLSelectElement>("vendor").value as VendorId;
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
  const result = await connectWithKey(key.vendor, key.key, emulator, (text) => ($("transcript").textContent = text));
  setStatus(`${label}: ${result.accepted ? "accepted" : `refused (${result.detail})`}`, result.accepted);
  log(`${label} ${masked(key.key)}: ${result.accepted ? "accepted" : "refused"}: ${result.detail}`);
  return result;
}

async function tryExpired() {
  try {
    const key = await keys.getKey("soniox", { ttl_seconds: EXPIRED_DEMO_TTL_SECONDS, single_use: true });
    showKey(key);
    log(`minted a ${EXPIRED_DEMO_TTL_SECONDS}-second Soniox key; waiting for it to expire`);
    await new Promise((resolve) => setTimeout(resolve, EXPIRED_DEMO_TTL_SECONDS * 1000 + 500));
    await connect(key, "Expired key");
  } catch (error) {
    log(`expired-key demo failed: ${describe(error)}`);
  }
}

async function trySingleUse() {
  try {
    const key = await keys.getKey("soniox", { single_use: true });
    showKey(key);
    await connect(key, "Single-use key, first use");
    await connect(key, "Single-use key, second use");
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
    model: "stt-rt-preview",
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
$("vendor").addEventListener("change", showExampleOptions);
$("mint").addEventListener("click", () => void mint());
$("connect").addEventListener("click", () => current && void connect(current, "Connect"));
$("try-expired").addEventListener("click", () => void tryExpired());
$("try-single-use").addEventListener("click", () => void trySingleUse());
$("soniox-sdk").addEventListener("click", recordWithSonioxSdk);
