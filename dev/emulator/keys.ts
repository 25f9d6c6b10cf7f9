/**
 * The keys the emulated vendors issued, so their speech endpoints can check a
 * key the way the real ones do: issued here, not expired, not reused when
 * single-use, and from the bound address.
 */
export interface IssuedKey {
  vendor: string;
  expiresAt: number;
  singleUse: boolean;
  /** IPv4 addresses or CIDR ranges the key may be used from; empty means any. */
  allowedIps: string[];
  /** False for an AmiVoice key issued with a wrong sid/spw: issued, but refused at the speech endpoint. */
  serviceAuthValid: boolean;
  used: boolean;
}

export type KeyRefusal = "unknown" | "expired" | "already_used" | "ip_not_allowed" | "service_auth_invalid";

export class KeyRegistry {
  private readonly keys = new Map<string, IssuedKey>();

  issue(key: string, details: Omit<IssuedKey, "used">): void {
    this.keys.set(key, { ...details, used: false });
  }

  /** Checks and, for a single-use key, consumes it. */
  use(vendor: string, key: string, remoteIp: string, now = Date.now()): KeyRefusal | undefined {
    const issued = this.keys.get(key);
    if (!issued || issued.vendor !== vendor) return "unknown";
    if (now >= issued.expiresAt) return "expired";
    if (!issued.serviceAuthValid) return "service_auth_invalid";
    if (issued.allowedIps.length > 0 && !issued.allowedIps.some((range) => ipv4InRange(remoteIp, range))) {
      return "ip_not_allowed";
    }
    if (issued.singleUse && issued.used) return "already_used";
    issued.used = true;
    return undefined;
  }
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.replace(/^::ffff:/, "").split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!Number.isInteger(octet) || octet < 0 || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function ipv4InRange(ip: string, range: string): boolean {
  const [base = "", bitsText] = range.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const address = ipv4ToNumber(ip);
  const network = ipv4ToNumber(base);
  if (address === undefined || network === undefined) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(network / size);
}
