import { getJson, request, withQuery } from "./api";
import { byId, el, shortTime } from "./dom";
import type { AuditAnswer, AuditRecord } from "./types";

const PAGE_SIZE = 50;
/** The export's `until` may be no later than this long ago (docs/api.md, "Audit export"). */
const EXPORT_SETTLE_MS = 5 * 60_000;
/** Export responses to follow at most, each of up to 10,000 records. */
const MAX_EXPORT_PAGES = 20;

export interface AuditQuery {
  client_ref?: string;
  vendor?: string;
  since?: string;
  until?: string;
}

/** The audit table (GET /v1/audit), its cursor paging, details drawer and export. */
export class AuditTable {
  private query: AuditQuery = {};
  private nextCursor: string | null = null;

  constructor() {
    byId("audit-next").addEventListener("click", () => void this.load(this.nextCursor).catch(this.fail));
    byId("audit-first").addEventListener("click", () => void this.load(null).catch(this.fail));
    byId("audit-export").addEventListener("click", () => void this.export().catch(this.fail));
  }

  /** Where a failed action's message goes: set by the page. */
  fail: (error: unknown) => void = () => {};

  async show(query: AuditQuery): Promise<void> {
    this.query = query;
    await this.load(null);
  }

  private async load(cursor: string | null): Promise<void> {
    const answer = await getJson<AuditAnswer>("/v1/audit", {
      ...this.query,
      limit: String(PAGE_SIZE),
      cursor: cursor ?? undefined,
    });
    byId("audit")
      .querySelector("tbody")!
      .replaceChildren(...answer.records.map((record) => this.row(record)));
    this.nextCursor = answer.cursor;
    byId("audit-next").hidden = answer.cursor === null;
    byId("audit-first").hidden = cursor === null;
    const who = this.query.client_ref ? ` of ${this.query.client_ref}` : "";
    byId("audit-caption").textContent =
      answer.records.length > 0
        ? `Audit records${who}, newest first`
        : answer.cursor === null
          ? `No audit records${who} match these filters.`
          : "No records on this page; the next page may hold more.";
  }

  private row(record: AuditRecord): HTMLTableRowElement {
    const details = el("button", { type: "button", "aria-label": `Details of record ${record.id}` }, "Details");
    details.addEventListener("click", () => showDetails(record));
    const failed = record.outcome !== "issued" && record.outcome !== "deny_lifted";
    return el(
      "tr",
      { "data-id": record.id },
      el("td", {}, shortTime(record.at)),
      el("td", {}, record.client_ref),
      el("td", {}, record.vendor ?? "—"),
      el("td", {}, record.ttl_seconds === null ? "—" : String(record.ttl_seconds)),
      el("td", {}, shortTime(record.expires_at)),
      // The outcome is its word; the colour only repeats it.
      el(
        "td",
        { class: failed ? "outcome-bad" : "outcome-ok" },
        record.error_code ? `${record.outcome} (${record.error_code})` : record.outcome,
      ),
      el("td", { class: "mono" }, record.request_id),
      el("td", { class: "mono" }, record.vendor_key_id ?? "—"),
      el("td", {}, details),
    );
  }

  /**
   * Downloads the filtered records as NDJSON. The export needs the admin auth header,
   * so it is fetched here and handed over as a blob: the token never goes in a URL.
   */
  private async export(): Promise<void> {
    const status = byId("export-status");
    const settled = Date.now() - EXPORT_SETTLE_MS;
    const until = this.query.until && Date.parse(this.query.until) < settled ? this.query.until : undefined;
    const since = this.query.since ?? new Date(0).toISOString();
    const lines: string[] = [];
    let cursor: string | undefined;
    status.textContent = "Exporting…";
    for (let page = 0; page < MAX_EXPORT_PAGES; page += 1) {
      const text = await (await request(withQuery("/v1/audit/export", { ...this.query, since, until, cursor }))).text();
      const body = text.split("\n").filter((line) => line !== "");
      const last = JSON.parse(body.pop() ?? "{}") as {
        cursor?: string;
        complete?: boolean;
        error?: { message: string };
      };
      lines.push(...body);
      if (last.error) throw new Error(`the export stopped: ${last.error.message}`);
      if (last.complete || last.cursor === undefined || last.cursor === cursor) break;
      cursor = last.cursor;
    }
    const link = el("a", {
      href: URL.createObjectURL(
        new Blob(
          lines.map((line) => `${line}\n`),
          { type: "application/x-ndjson" },
        ),
      ),
      download: `audit-${new Date().toISOString().replace(/[:.]/g, "-")}.ndjson`,
    });
    link.click();
    // The download reads the blob after this task ends.
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.textContent = `Exported ${lines.length} records (records of the last 5 minutes follow in a later export).`;
  }
}

function showDetails(record: AuditRecord): void {
  byId("details-title").textContent = `Audit record ${record.id}`;
  byId("details-fields").replaceChildren(
    ...Object.entries(record).flatMap(([name, value]) => [
      el("dt", {}, name),
      el("dd", { "data-field": name }, typeof value === "string" ? value : JSON.stringify(value)),
    ]),
  );
  byId<HTMLDialogElement>("details").showModal();
}
