import { ADMIN_TOKEN, call } from "./broker";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** One audit record, read through the admin API. */
export async function auditRecord(issuanceId: string): Promise<Record<string, unknown>> {
  const response = await call(`/v1/audit/${issuanceId}`, { headers: admin });
  if (response.status !== 200) throw new Error(`audit record ${issuanceId}: ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** One end user's audit records, newest first. */
export async function auditRecordsFor(clientRef: string): Promise<Record<string, unknown>[]> {
  const response = await call(`/v1/audit?client_ref=${encodeURIComponent(clientRef)}`, { headers: admin });
  return ((await response.json()) as { records: Record<string, unknown>[] }).records;
}
