// A local stand-in for the Anthropic Messages API (POST /v1/messages) that each test scripts:
// answers are served in order, and every request is kept so a test can check what was sent.
export interface RecordedRequest {
  path: string;
  headers: Headers;
  raw: string;
  body: Record<string, unknown>;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  script(...responses: ScriptedResponse[]): void;
  close(): Promise<void>;
}

export function startFakeAnthropic(): FakeAnthropic {
  const queue: ScriptedResponse[] = [];
  const requests: RecordedRequest[] = [];
  const abort = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: abort.signal, onListen: () => {} },
    async (request) => {
      const raw = await request.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw);
      } catch { /* kept raw */ }
      const path = new URL(request.url).pathname;
      requests.push({ path, headers: request.headers, raw, body });
      if (request.method !== "POST" || path !== "/v1/messages") {
        return Response.json({
          type: "error",
          error: { type: "not_found_error", message: `no ${path}` },
        }, { status: 404 });
      }
      const next = queue.shift();
      if (!next) {
        return Response.json({
          type: "error",
          error: { type: "api_error", message: "the test scripted no more answers" },
        }, { status: 500, headers: { "x-should-retry": "false" } });
      }
      return Response.json(next.body, { status: next.status ?? 200, headers: next.headers });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    script: (...responses) => queue.push(...responses),
    async close() {
      abort.abort();
      await server.finished;
    },
  };
}

export interface InsightAnswer {
  key: string;
  value: string;
  metric: string;
  trend: "up" | "down" | "neutral";
  fact_ids: string[];
}

export const insight = (key: string, factIds: string[], trend: InsightAnswer["trend"] = "up") => ({
  key,
  value: `${key}: grounded in ${factIds.join(", ")}.`,
  metric: "reply_rate",
  trend,
  fact_ids: factIds,
});

/** A Messages API answer that calls record_insights with this input. */
export function toolAnswer(input: unknown, model = "claude-scripted-answer"): ScriptedResponse {
  return {
    body: {
      id: `msg_${crypto.randomUUID()}`,
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "tool_use", id: "toolu_1", name: "record_insights", input }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 100 },
    },
  };
}

export const validAnswer = () =>
  toolAnswer({
    insights: [
      insight("Sending grew", ["sends"]),
      insight("Reply rate against baseline", ["reply_rate", "replies"]),
      insight("Interested rate", ["interested_rate"], "neutral"),
    ],
  });

export const overloaded = (): ScriptedResponse => ({
  status: 529,
  body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
});
