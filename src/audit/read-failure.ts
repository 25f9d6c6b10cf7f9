import { BrokerError, brokerError } from "../errors";

/**
 * What a failed read of the audit store answers. A failure that is not the
 * broker's own answer (a cursor's `400`, say) is KV failing, not a bug:
 * `503 audit_unavailable`.
 */
export function auditReadFailure(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  return brokerError("audit_unavailable", "the audit store could not be read; retry later", {
    internal: `audit store read failed: ${error instanceof Error ? error.name : "non-error thrown"}`,
  });
}
