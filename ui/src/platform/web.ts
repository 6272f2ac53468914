import type { ChangeEvent, Command } from "../wire";
import type { LiveStatus, Platform } from "./api";
import { ApiError, isApiErrorBody, SESSION_EXPIRED, tryParseJson } from "./errors";

export const RPC_PATH = "/api/rpc";
export const EVENTS_PATH = "/api/events";

/**
 * In a browser against `causeway serve`. The session is an HttpOnly cookie
 * the server set when the user opened the printed `/?token=…` link.
 */
export class WebPlatform implements Platform {
  readonly kind = "web" as const;

  async call<T>(command: Command): Promise<T> {
    let res: Response;
    try {
      res = await fetch(RPC_PATH, {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(command),
      });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ApiError("network", `Cannot reach the Causeway server (${why}). Is \`causeway serve\` still running?`);
    }
    const text = await res.text();
    if (!res.ok) {
      const body = tryParseJson(text);
      if (res.status === 401) {
        throw new ApiError(isApiErrorBody(body) ? body.code : "unauthorized", SESSION_EXPIRED, 401);
      }
      if (isApiErrorBody(body)) throw new ApiError(body.code, body.message, res.status);
      const detail = text.trim().slice(0, 300) || res.statusText || "no details";
      throw new ApiError(`http_${res.status}`, `The server answered ${res.status}: ${detail}`, res.status);
    }
    const body = tryParseJson(text);
    if (body === undefined) {
      throw new ApiError("bad_response", "The server sent a response that is not JSON", res.status);
    }
    return body as T;
  }

  subscribe(onChange: (e: ChangeEvent) => void, onStatus?: (s: LiveStatus) => void): () => void {
    if (typeof EventSource === "undefined") {
      onStatus?.("closed");
      return () => {};
    }
    const source = new EventSource(EVENTS_PATH, { withCredentials: true });
    let dropped = false;
    onStatus?.("connecting");
    source.onopen = () => {
      onStatus?.("live");
      // After a drop, events may have been missed: have the caller refetch.
      if (dropped) onChange({ type: "incidentsChanged", ids: [] });
      dropped = false;
    };
    source.onmessage = (msg: MessageEvent) => {
      const event = tryParseJson(String(msg.data));
      if (event && typeof event === "object" && typeof (event as { type?: unknown }).type === "string") {
        onChange(event as ChangeEvent);
      }
    };
    source.onerror = () => {
      dropped = true;
      // CLOSED: the browser gave up (e.g. a 401); CONNECTING: it retries.
      onStatus?.(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    };
    return () => source.close();
  }
}
