import { useMemo, useState } from "react";
import type { ImpactView, TopologyView } from "../../wire";
import type { Api } from "../../platform/api";
import type { Route } from "../../app/router";
import type { Loaded } from "../../app/useResource";
import { GraphView } from "../../components/graph/GraphView";
import { EntityText } from "../../components/EntityText";
import { Empty, ErrorBox, InlineError, Loading } from "../../components/States";
import { errorText } from "../../platform/errors";
import { matchesWords } from "../../components/format";

type Props = {
  topology: Loaded<TopologyView>;
  /** The entity in the address (`#/topology/<entity>`), if any. */
  entity: string | null;
  api: Pick<Api, "topologyImpact">;
  go: (r: Route) => void;
  stalled?: boolean;
};

type Asked = { entity: string; state: "busy" } | { entity: string; state: "done"; impact: ImpactView } | { entity: string; state: "error"; error: string };

const LIST_MAX = 200;

/**
 * The whole topology: pick any entity (in the graph, or by searching), ask
 * "what if it fails?" and see what the failure reaches and along which edges.
 * The open incidents' root causes are marked on the map.
 */
export function Topology({ topology, entity, api, go, stalled }: Props) {
  const [query, setQuery] = useState("");
  const [asked, setAsked] = useState<Asked | null>(null);
  const graph = topology.data?.graph ?? null;
  const pick = (e: string | null) => go({ screen: "topology", entity: e });

  const ask = async (e: string) => {
    setAsked({ entity: e, state: "busy" });
    try {
      const impact = await api.topologyImpact(e);
      setAsked({ entity: e, state: "done", impact });
    } catch (err) {
      setAsked({ entity: e, state: "error", error: errorText(err) });
    }
  };

  // Only the answer about the picked entity shows: another pick (or a late
  // answer about an earlier one) leaves nothing asked.
  const current = asked?.entity === entity ? asked : null;
  const impact = current?.state === "done" ? current.impact : null;
  const { highlighted, marks } = useMemo(() => {
    if (!impact) return { highlighted: entity ? new Set([entity]) : null, marks: null };
    const source = String(impact.entity);
    const m = new Map<string, string>([[source, "impact-source"]]);
    for (const e of impact.impacted) m.set(String(e), "impacted");
    return { highlighted: new Set(m.keys()), marks: m };
  }, [impact, entity]);

  const matches = useMemo(() => {
    if (!graph) return [];
    const all = graph.nodes.filter((n) => matchesWords(n.id, query));
    // Marked nodes first: what is failing now is what one asks about.
    return [...all].sort((a, b) => Number(b.root) - Number(a.root) || b.signalCount - a.signalCount || a.id.localeCompare(b.id));
  }, [graph, query]);

  const node = graph && entity ? graph.nodes.find((n) => n.id === entity) : undefined;

  return (
    <section className="topology-screen" data-testid="topology" aria-label="Topology">
      <div className="screen-head">
        <h2 className="section-title">
          Topology {graph ? <span className="count">{graph.nodes.length}</span> : null}
        </h2>
        <span className="muted small">
          {graph ? `${graph.nodes.length} entities, ${graph.edges.length} edges — click one, then ask what its failure reaches` : ""}
        </span>
      </div>
      {topology.error ? <ErrorBox error={topology.error} /> : null}
      {topology.data === null ? (
        topology.error || stalled ? null : <Loading what="the topology" />
      ) : !topology.data.loaded ? (
        <Empty>
          No topology loaded. Put Kubernetes manifests (or a ServiceGraph file) in the data folder&apos;s <code>topology/</code> folder
          and restart, or start with <code>causeway serve --topology DIR</code>.
        </Empty>
      ) : (
        <div className="topology-layout">
          <div className="topology-graph">
            <GraphView graph={topology.data.graph} highlighted={highlighted} selectedEntity={entity} onSelectEntity={pick} marks={marks} tall />
          </div>
          <aside className="topology-side panel">
            {topology.data.roots.length ? (
              <div className="topology-roots" data-testid="topology-roots">
                <h3 className="side-title">Failing now</h3>
                <ul className="plain">
                  {topology.data.roots.map((r) => (
                    <li key={r.incidentId}>
                      <button type="button" className="link-button" onClick={() => pick(String(r.entity))}>
                        <EntityText entity={String(r.entity)} />
                      </button>{" "}
                      <a href={`#/incidents/${encodeURIComponent(r.incidentId)}`} className="small">
                        {r.title}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}

            {entity ? (
              <div className="picked" data-testid="picked-entity">
                <h3 className="side-title">Picked</h3>
                <EntityText entity={entity} />
                {node ? (
                  <p className="muted small">
                    {node.signalCount ? `${node.signalCount} signal(s) in open incidents, ${node.firing} firing` : "No signal in an open incident"}
                    {node.root ? " · root cause of an open incident" : ""}
                  </p>
                ) : (
                  <p className="muted small">Not in the topology; the impact is asked all the same.</p>
                )}
                <div className="actions">
                  <button type="button" className="btn btn-primary" data-testid="what-if" disabled={current?.state === "busy"} onClick={() => void ask(entity)}>
                    {current?.state === "busy" ? "Asking…" : "What if it fails?"}
                  </button>
                  <button type="button" className="btn btn-quiet" onClick={() => pick(null)}>
                    Clear
                  </button>
                </div>
                <InlineError text={current?.state === "error" ? current.error : null} />
                {impact ? <ImpactAnswer impact={impact} onPick={pick} /> : null}
              </div>
            ) : null}

            <h3 className="side-title">Entities</h3>
            <input
              type="search"
              className="search"
              placeholder="Find an entity…"
              aria-label="Find an entity"
              data-testid="entity-search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
            {matches.length === 0 ? (
              <Empty>No entity matches “{query}”.</Empty>
            ) : (
              <ul className="entity-list plain" aria-label="Entities">
                {matches.slice(0, LIST_MAX).map((n) => (
                  <li key={n.id}>
                    <button
                      type="button"
                      className={`entity-pick${n.id === entity ? " selected" : ""}`}
                      aria-pressed={n.id === entity}
                      data-testid="entity-pick"
                      data-entity={n.id}
                      onClick={() => pick(n.id)}
                    >
                      <EntityText entity={n.id} />
                      {n.signalCount ? <span className={`count${n.firing ? " firing" : ""}`}>{n.signalCount}</span> : null}
                    </button>
                  </li>
                ))}
                {matches.length > LIST_MAX ? <li className="muted small">…and {matches.length - LIST_MAX} more: narrow the search.</li> : null}
              </ul>
            )}
          </aside>
        </div>
      )}
    </section>
  );
}

function ImpactAnswer({ impact, onPick }: { impact: ImpactView; onPick: (e: string) => void }) {
  return (
    <div className="impact-answer" data-testid="impact" role="status">
      {!impact.known ? <p className="muted small">The topology does not know this entity: nothing is known to depend on it.</p> : null}
      {impact.impacted.length === 0 ? (
        impact.known ? (
          <p>Nothing else fails with it.</p>
        ) : null
      ) : (
        <>
          <p>
            <strong data-testid="impact-count">{impact.impacted.length}</strong> {impact.impacted.length === 1 ? "entity fails" : "entities fail"} with it, nearest
            first:
          </p>
          <ol className="impact-list">
            {impact.impacted.map((e, i) => (
              <li key={String(e)} data-testid="impacted-entity" data-entity={String(e)}>
                <button type="button" className="link-button" onClick={() => onPick(String(e))}>
                  <EntityText entity={String(e)} />
                </button>
                {impact.paths[i]?.length ? (
                  <ol className="impact-path muted small" aria-label="Why">
                    {impact.paths[i].map((hop, h) => (
                      <li key={h}>{hop}</li>
                    ))}
                  </ol>
                ) : null}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
