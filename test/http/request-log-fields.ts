/**
 * The fields of the one log line each request writes, as docs/operations.md
 * ("Request log") documents them for operators querying Workers Logs.
 * A worker test holds real log lines to this list; test/docs/request-log.test.ts holds the page to it.
 */
export const REQUEST_LOG_FIELDS = [
  "level",
  "msg",
  "request_id",
  "caller_request_id",
  "method",
  "path",
  "status",
  "duration_ms",
  "client_ref",
  "actor",
  "vendor",
  "issuance_id",
  "code",
  "reason",
  "refused_origin",
  "problems",
] as const;
