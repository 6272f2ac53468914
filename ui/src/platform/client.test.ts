import { describe, expect, it } from "vitest";
import { createClient } from "../bindings/client";
import type { Command } from "../wire";

describe("the generated client", () => {
  it("sends a command's arguments as `args`, and none for a command that takes none", async () => {
    const sent: Command[] = [];
    const client = createClient(async <T,>(command: Command) => {
      sent.push(command);
      return null as T;
    });
    await client.listCatalogue();
    await client.getIncident({ id: "inc-1" });
    await client.createInstance({ descriptorId: "alertmanager", projectId: "default", name: "prod", config: {}, secrets: {} });
    expect(sent[0]).toEqual({ command: "listCatalogue" });
    expect("args" in sent[0]).toBe(false);
    expect(sent[1]).toEqual({ command: "getIncident", args: { id: "inc-1" } });
    expect(sent[2]).toMatchObject({ command: "createInstance", args: { descriptorId: "alertmanager", name: "prod" } });
  });
});
