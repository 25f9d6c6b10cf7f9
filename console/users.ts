import { getJson, sendJson } from "./api";
import { byId, el, shortTime } from "./dom";
import type { UserRow, UsersAnswer } from "./types";

const PAGE_SIZE = 50;

/**
 * The users table (GET /v1/admin/users, today UTC) with its row actions: deny, with
 * a reason and an optional end (POST /v1/admin/deny), and lift (DELETE /v1/admin/deny/…).
 */
export class UsersTable {
  private cursor: string | null = null;
  private denying: string | null = null;

  constructor(
    private readonly auditLink: (clientRef: string) => string,
    private readonly changed: () => Promise<void>,
  ) {
    byId("users-more").addEventListener("click", () => void this.load(true).catch(this.fail));
    byId("deny-cancel").addEventListener("click", () => this.closeDenyForm());
    byId("deny-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submitDeny().catch(this.fail);
    });
  }

  /** Where a failed action's message goes: set by the page. */
  fail: (error: unknown) => void = () => {};

  async load(more = false): Promise<void> {
    const answer = await getJson<UsersAnswer>("/v1/admin/users", {
      limit: String(PAGE_SIZE),
      cursor: more ? (this.cursor ?? undefined) : undefined,
    });
    const body = byId("users").querySelector("tbody")!;
    if (!more) body.replaceChildren();
    body.append(...answer.users.map((user) => this.row(user)));
    this.cursor = answer.cursor;
    byId("users-more").hidden = answer.cursor === null;
    byId("users-caption").textContent =
      body.childElementCount === 0 ? `No mints on ${answer.day} (UTC) yet.` : `Users on ${answer.day} (UTC)`;
  }

  private row(user: UserRow): HTMLTableRowElement {
    const quota = user.daily_quota === null ? "no quota" : String(user.daily_quota);
    const deny = user.deny
      ? `denied by ${user.deny.actor}: ${user.deny.reason}${user.deny.until ? ` (until ${shortTime(user.deny.until)})` : ""}`
      : "not denied";
    const actions = el("td", { class: "actions" });
    const label = (verb: string) => ({ type: "button", "aria-label": `${verb} ${user.client_ref}` });
    if (user.deny) {
      const lift = el("button", label("Lift the deny of"), "Lift");
      lift.addEventListener("click", () => void this.lift(user.client_ref).catch(this.fail));
      actions.append(lift);
    } else {
      const deny = el("button", label("Deny"), "Deny");
      deny.addEventListener("click", () => this.openDenyForm(user.client_ref));
      actions.append(deny);
    }
    actions.append(
      el("a", { href: this.auditLink(user.client_ref), "aria-label": `Audit of ${user.client_ref}` }, "Audit"),
    );
    return el(
      "tr",
      { "data-client-ref": user.client_ref },
      el("td", {}, user.client_ref),
      el("td", {}, `${user.mints} / ${quota}`),
      el("td", {}, String(user.refusals)),
      el("td", {}, shortTime(user.last_mint_at)),
      el("td", {}, user.vendors.join(", ") || "—"),
      el("td", { class: user.deny ? "denied" : "" }, deny),
      actions,
    );
  }

  private openDenyForm(clientRef: string): void {
    this.denying = clientRef;
    byId("deny-title").textContent = `Deny ${clientRef}`;
    byId<HTMLInputElement>("deny-reason").value = "";
    byId<HTMLInputElement>("deny-until").value = "";
    byId("deny-form").hidden = false;
    byId("deny-reason").focus();
  }

  private closeDenyForm(): void {
    byId("deny-form").hidden = true;
    this.denying = null;
  }

  private async submitDeny(): Promise<void> {
    if (this.denying === null) return;
    const until = byId<HTMLInputElement>("deny-until").value;
    await sendJson("POST", "/v1/admin/deny", {
      client_ref: this.denying,
      reason: byId<HTMLInputElement>("deny-reason").value,
      // The input is labelled UTC: its value has no zone, so it is read as UTC.
      ...(until ? { until: new Date(`${until}Z`).toISOString() } : {}),
    });
    this.closeDenyForm();
    await this.changed();
  }

  private async lift(clientRef: string): Promise<void> {
    await sendJson("DELETE", `/v1/admin/deny/${encodeURIComponent(clientRef)}`);
    await this.changed();
  }
}
