import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ChangeEvent, Command } from "../wire";
import type { LiveStatus, Platform } from "./api";
import { toApiError } from "./errors";

export const CHANGE_EVENT = "causeway://change";

/** Inside the desktop app: the shell's `rpc` command and its change events. */
export class TauriPlatform implements Platform {
  readonly kind = "tauri" as const;

  async call<T>(command: Command): Promise<T> {
    try {
      return await invoke<T>("rpc", { request: command });
    } catch (e) {
      // The shell rejects with the `{code, message}` ApiError as an object.
      throw toApiError(e);
    }
  }

  subscribe(onChange: (e: ChangeEvent) => void, onStatus?: (s: LiveStatus) => void): () => void {
    let stopped = false;
    let unlisten: (() => void) | undefined;
    onStatus?.("connecting");
    listen<ChangeEvent>(CHANGE_EVENT, (event) => onChange(event.payload)).then(
      (fn) => {
        if (stopped) fn();
        else {
          unlisten = fn;
          onStatus?.("live");
        }
      },
      () => {
        if (!stopped) onStatus?.("closed");
      },
    );
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
}
