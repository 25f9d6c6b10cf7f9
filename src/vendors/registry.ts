import * as z from "zod/mini";
import { acedata } from "./acedata";
import { amivoice } from "./amivoice";
import { assemblyai } from "./assemblyai";
import { awsTranscribe } from "./aws-transcribe";
import { azure } from "./azure";
import { cartesia } from "./cartesia";
import { deepgram } from "./deepgram";
import { elevenlabs } from "./elevenlabs";
import { gemini } from "./gemini";
import { gladia } from "./gladia";
import { livekit } from "./livekit";
import { mistral } from "./mistral";
import { openai } from "./openai";
import { soniox } from "./soniox";
import { speechmatics } from "./speechmatics";
import type { VendorAdapter } from "./types";
import { twilioVoice } from "./twilio-voice";
import { xai } from "./xai";

/** Every vendor the broker knows. The route's `:vendor` is checked against these ids. */
export const vendors = {
  soniox,
  speechmatics,
  amivoice,
  acedata,
  deepgram,
  openai,
  assemblyai,
  elevenlabs,
  cartesia,
  gemini,
  azure,
  mistral,
  gladia,
  xai,
  livekit,
  "twilio-voice": twilioVoice,
  "aws-transcribe": awsTranscribe,
} as const;

export type VendorId = keyof typeof vendors;

export const vendorIds = Object.keys(vendors) as VendorId[];

export const vendorIdSchema = z.enum(vendorIds as [VendorId, ...VendorId[]]);

/** The adapters with their settings and options types erased, for code that handles any vendor. */
export function adapterFor(id: VendorId): VendorAdapter {
  return vendors[id] as unknown as VendorAdapter;
}
