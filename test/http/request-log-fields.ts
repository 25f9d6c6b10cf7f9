/**
 * The fields of the one log line each request writes, as the README's
 * "Request log" table documents them for operators querying Workers Logs.
 * A worker test holds real log lines to this list; a Node test holds the README to it.
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
  "vendor",
  "issuance_id",
  "code",
  "reason",
  "refused_origin",
  "problems",
] as const;
