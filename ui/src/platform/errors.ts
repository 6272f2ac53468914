import type { ApiErrorBody } from "../wire";

/**
 * Every failure the UI can meet — an HTTP error, a rejected Tauri invoke, the
 * network — as one error with a stable `code` and a `message` for a person.
 */
export class ApiError extends Error {
  readonly code: string;
  /** The HTTP status, when the error came over HTTP. */
  readonly status?: number;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }

  /** `message (code)`: what the UI shows. */
  describe(): string {
    return this.code ? `${this.message} (${this.code})` : this.message;
  }
}

export const SESSION_EXPIRED = "Session expired — open a new link from `causeway login` (each link opens one session)";

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * Turns anything thrown or rejected into an ApiError without ever producing
 * "[object Object]": a `{code, message}` body (as an object or as JSON text),
 * an Error, a string, or something else entirely.
 */
export function toApiError(value: unknown, fallbackCode = "internal"): ApiError {
  if (value instanceof ApiError) return value;
  if (isApiErrorBody(value)) return new ApiError(value.code, value.message);
  if (typeof value === "string") {
    const parsed = tryParseJson(value);
    if (isApiErrorBody(parsed)) return new ApiError(parsed.code, parsed.message);
    return new ApiError(fallbackCode, value || "Unknown error");
  }
  if (value instanceof Error) return new ApiError(fallbackCode, value.message || value.name);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return new ApiError(fallbackCode, `Unexpected error: ${text}`);
}

export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What to show for any caught value. */
export function errorText(value: unknown): string {
  return toApiError(value).describe();
}
