// POST /universal-bison-webhook/<token>: one Email Bison webhook delivery. Bison signs nothing and
// sends no Authorization header (verify_jwt is off in config.toml), so the unguessable token in
// the URL is the only credential; it is looked up by its SHA-256 and never logged.
import { z } from "zod";
import { BodyTooLarge, json, readBodyLimited, sha256Hex } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import { storableJson } from "../_shared/json.ts";

export const maxBodyBytes = 1024 * 1024;

export type Outcome =
  | "unauthorized"
  | "duplicate"
  | "processed"
  | "unknown_type"
  | "failed"
  | "quarantined";
export type RejectionReason = "payload_too_large" | "invalid_json" | "invalid_envelope";

export interface WebhookStore {
  /**
   * Stores and processes the event (its JSON text, already validated: passed on as received
   * rather than serialised again); "unauthorized" when the token matches no connection,
   * "quarantined" when it is JSON the database cannot store (kept raw, answered like a stored
   * event so Bison stops retrying). received is the body as it arrived when json is a cleaned
   * copy: what quarantine keeps.
   */
  ingest(
    tokenSha256: string,
    json: string,
    received?: string,
  ): Promise<{ outcome: Outcome; event_id?: number }>;
  /** Counts a refused delivery; false when the token matches no connection. */
  recordRejection(tokenSha256: string, reason: RejectionReason): Promise<boolean>;
  /** Records that an expected test delivery arrived; false when token or nonce do not match. */
  recordTestDelivery(tokenSha256: string, nonce: string): Promise<boolean>;
}

export interface WebhookDeps {
  store: WebhookStore;
  log?: (entry: Record<string, unknown>) => void;
}

// Every field is optional (payloads drift) except the routing key.
const envelopeSchema = z.object({
  event: z.object({
    type: z.string({ error: "must be a string" }).trim().min(1, {
      error: "must not be empty",
    }),
    name: z.string().nullish(),
    instance_url: z.string().nullish(),
    workspace_id: z.union([z.number(), z.string()]).nullish(),
    workspace_name: z.string().nullish(),
  }, { error: "the body needs an event object" }).passthrough(),
  data: z.record(z.string(), z.unknown()).nullish(),
}, { error: "the body must be a JSON object" }).passthrough();

const unauthorized = () => json(401, { error: "unauthorized" });

export function createWebhookHandler(deps: WebhookDeps): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));

  return async (request) => {
    if (request.method !== "POST") {
      return json(405, { error: "method not allowed: use POST" }, { allow: "POST" });
    }
    // The hosted runtime hands the path as /<function name>/<token>[/test/<nonce>].
    const [, token = "", route, nonce] = new URL(request.url).pathname.split("/").filter(Boolean);
    const tokenSha256 = sha256Hex(token);

    try {
      // A test delivery Bison was asked for: it carries fixture ids (workspace 1, "Cody's Team"),
      // so it proves the URL works and is never ingested.
      if (route === "test") {
        await request.body?.cancel();
        return /^[0-9a-f]{32}$/.test(nonce ?? "") &&
            await deps.store.recordTestDelivery(tokenSha256, nonce!)
          ? json(200, { status: "test_received" })
          : json(404, { error: "no test delivery is expected here" });
      }
      const reject = async (status: number, reason: RejectionReason, message: string) =>
        (await deps.store.recordRejection(tokenSha256, reason))
          ? json(status, { error: message })
          : unauthorized();

      let text: string;
      try {
        text = await readBodyLimited(request, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          return await reject(413, "payload_too_large", "the body is larger than 1 MiB");
        }
        throw error;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return await reject(400, "invalid_json", "the body is not valid JSON");
      }
      const envelope = envelopeSchema.safeParse(body);
      if (!envelope.success) {
        const issue = envelope.error.issues[0];
        const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
        return await reject(400, "invalid_envelope", `${where}${issue.message}`);
      }

      const storable = storableJson(text);
      const result = await deps.store.ingest(
        tokenSha256,
        storable,
        storable === text ? undefined : text,
      );
      if (result.outcome === "unauthorized") return unauthorized();
      if (result.outcome === "failed") {
        log({ level: "error", msg: "event stored but processing failed", ...result });
      }
      if (result.outcome === "quarantined") {
        log({ level: "warn", msg: "body the database cannot store was quarantined", ...result });
      }
      return json(200, { status: result.outcome, event_id: result.event_id ?? null });
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        log({ level: "error", msg: "database unavailable", error: String(error) });
        return json(503, { error: "temporarily unavailable, retry later" }, {
          "retry-after": "5",
        });
      }
      log({ level: "error", msg: "ingest failed", error: (error as Error).message });
      return json(500, { error: "internal error" });
    }
  };
}
