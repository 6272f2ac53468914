import { useEffect, useState } from "react";
import type { SchemaProperty, XOptions } from "../../wire";
import { errorText } from "../../platform/errors";
import { useDebounced } from "../../app/useDebounced";

/** How long the form waits after typing before asking for a field's choices again. */
const OPTIONS_DEBOUNCE_MS = 400;

export type Field = { name: string; prop: SchemaProperty; required: boolean };

/** The choices a field's `x-options` command offers. */
export type FieldOptions = {
  options: { value: string; label: string; detail?: string }[];
  /** The default the server takes when the field is left empty. */
  current: string | null;
  /** Where they were read from (a kubeconfig path), to say so. */
  source?: string;
};

/** Asks the server for a field's choices (`x-options`). */
export type LoadOptions = (command: string, args: Record<string, unknown>, valueKey?: string) => Promise<FieldOptions>;

export function propType(p: SchemaProperty): string {
  return Array.isArray(p.type) ? (p.type.find((t) => t !== "null") ?? "string") : (p.type ?? "string");
}

/** "shop, payments\nmonitoring" → ["shop", "payments", "monitoring"]. */
export function listOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** What a list field's items must look like, as a sentence, when they break the schema's pattern. */
export function listError(f: Field, value: unknown): string | null {
  if (propType(f.prop) !== "array" || !Array.isArray(value) || !f.prop.items?.pattern) return null;
  const re = new RegExp(f.prop.items.pattern);
  const bad = value.filter((v) => typeof v !== "string" || !re.test(v));
  return bad.length ? `${f.prop.title ?? f.name}: not a valid name: ${bad.join(", ")}` : null;
}

type Props = {
  field: Field;
  value: unknown;
  onChange: (v: unknown) => void;
  /** Every value of the form, for the arguments of an `x-options` command. */
  values: Record<string, unknown>;
  loadOptions?: LoadOptions;
};

/** One setup field drawn from its JSON-Schema property. */
export function ConfigField({ field: f, value: v, onChange: set, values, loadOptions }: Props) {
  const id = `wz-f-${f.name}`;
  const t = propType(f.prop);
  const label = `${f.prop.title ?? f.name}${f.required ? "" : " (optional)"}`;
  const xo = f.prop["x-options"];
  let input;
  if (t === "boolean") {
    return (
      <div className="field">
        <label className="check">
          <input id={id} type="checkbox" checked={Boolean(v)} onChange={(e) => set(e.target.checked)} /> {label}
        </label>
        {f.prop.description ? <p className="help small muted">{f.prop.description}</p> : null}
      </div>
    );
  } else if (xo && loadOptions) {
    input = <OptionsPicker id={id} xo={xo} value={v} onChange={set} values={values} load={loadOptions} />;
  } else if (f.prop.enum) {
    input = (
      <select id={id} value={String(v ?? "")} onChange={(e) => set(e.target.value)}>
        <option value="">—</option>
        {f.prop.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (t === "array") {
    input = <ListInput id={id} value={Array.isArray(v) ? (v as unknown[]).map(String) : []} onChange={set} />;
  } else {
    const numeric = t === "number" || t === "integer";
    input = (
      <input
        id={id}
        type={numeric ? "number" : f.prop.format === "uri" ? "url" : "text"}
        value={v === undefined || v === null ? "" : String(v)}
        onChange={(e) => set(numeric ? (e.target.value === "" ? "" : Number(e.target.value)) : e.target.value)}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {input}
      {f.prop.description ? <p className="help small muted">{f.prop.description}</p> : null}
    </div>
  );
}

/** A list typed as words separated by commas or spaces; kept as typed until it loses focus. */
function ListInput({ id, value, onChange }: { id: string; value: string[]; onChange: (v: string[]) => void }) {
  const [text, setText] = useState(value.join(", "));
  return (
    <input
      id={id}
      value={text}
      placeholder="one, two, three"
      onChange={(e) => {
        setText(e.target.value);
        onChange(listOf(e.target.value));
      }}
      onBlur={() => setText(listOf(text).join(", "))}
    />
  );
}

type Choices = { loading: boolean; options: FieldOptions | null; error: string | null };

/**
 * A field whose choices the server lists (the contexts of a kubeconfig):
 * a picker with the default named, or a text field with the reason when
 * nothing could be listed.
 */
function OptionsPicker({
  id,
  xo,
  value,
  onChange,
  values,
  load,
}: {
  id: string;
  xo: XOptions;
  value: unknown;
  onChange: (v: string) => void;
  values: Record<string, unknown>;
  load: LoadOptions;
}) {
  const args: Record<string, unknown> = {};
  for (const [arg, field] of Object.entries(xo.args ?? {})) args[arg] = values[field] ?? null;
  const argsKey = JSON.stringify(args);
  // The first arguments are asked at once; later ones once typing pauses.
  const settledKey = useDebounced(argsKey, OPTIONS_DEBOUNCE_MS);
  const [tries, setTries] = useState(0);
  const [fetched, setFetched] = useState<Choices>({ loading: true, options: null, error: null });
  useEffect(() => {
    let cancelled = false;
    setFetched((c) => ({ ...c, loading: true }));
    load(xo.command, JSON.parse(settledKey) as Record<string, unknown>, xo.value).then(
      (options) => !cancelled && setFetched({ loading: false, options, error: null }),
      (e) => !cancelled && setFetched({ loading: false, options: null, error: errorText(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [load, xo.command, xo.value, settledKey, tries]);
  // Still reading while the typed arguments wait to settle.
  const choices = argsKey === settledKey ? fetched : { ...fetched, loading: true };

  const current = typeof value === "string" ? value : "";
  const list = choices.options?.options ?? [];
  const reload = (
    <button type="button" className="btn btn-quiet" onClick={() => setTries((n) => n + 1)} disabled={choices.loading}>
      {choices.loading ? "Reading…" : "Read again"}
    </button>
  );
  if (choices.options && list.length > 0) {
    const fallback = choices.options.current;
    return (
      <>
        <div className="secret-row">
          <select id={id} value={current} data-testid={`${id}-picker`} onChange={(e) => onChange(e.target.value)}>
            <option value="">{fallback ? `Default: ${fallback}` : "Default"}</option>
            {list.map((o) => (
              <option key={o.value} value={o.value}>
                {o.detail ? `${o.label} — ${o.detail}` : o.label}
              </option>
            ))}
            {current && !list.some((o) => o.value === current) ? <option value={current}>{current} (not in the file)</option> : null}
          </select>
          {reload}
        </div>
        {choices.options.source ? <p className="help small muted">From {choices.options.source}.</p> : null}
      </>
    );
  }
  return (
    <>
      <div className="secret-row">
        <input id={id} value={current} onChange={(e) => onChange(e.target.value)} />
        {reload}
      </div>
      {choices.error ? (
        <p className="help small inline-error" role="alert" data-testid={`${id}-options-error`}>
          Could not list the choices: {choices.error}
        </p>
      ) : choices.options ? (
        <p className="help small muted">Nothing to choose from{choices.options.source ? ` in ${choices.options.source}` : ""}: type it.</p>
      ) : null}
    </>
  );
}
