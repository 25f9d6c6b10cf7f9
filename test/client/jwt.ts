/** An unsigned JWT built by hand: the client only decodes, so the signature is never checked. */
export function jwt(payload: Record<string, unknown>, { padded = false }: { padded?: boolean } = {}): string {
  const encode = (value: unknown) => {
    const text = Buffer.from(JSON.stringify(value)).toString("base64url");
    return padded ? text.padEnd(Math.ceil(text.length / 4) * 4, "=") : text;
  };
  return `${encode({ alg: "RS256", typ: "JWT", kid: "k1" })}.${encode(payload)}.c2lnbmF0dXJl`;
}
