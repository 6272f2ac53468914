//! `causeway bench correlation`: replay labelled storms with their
//! topology and score Causeway beside the baselines — our own generator's
//! suites, and every storm folder under `--storms` — per storm, per world
//! and per fault family, with the calibration of link confidences;
//! `--cv` chooses the settings by cross-validation and reports the
//! held-out figures ([`cv`]). Also measures throughput and per-decision
//! latency with 10k open incidents. Timing is only here: a benchmark.

mod aiops_run;
pub mod cases;
pub mod cv;
pub mod perf;

pub use aiops_run::aiops;

use crate::scenarios::score::{Scores, BASELINES};
use crate::scenarios::world::World;
use cases::{evaluate, Case, Outcome};
use causeway_app::history::replay::to_json;
use causeway_core::CorrelationConfig;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

const F1: f64 = 0.95;
const RCA: f64 = 0.90;
const NR: f64 = 0.85;

/// `causeway bench correlation`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Seeds of our generator (repeat the flag, or comma-separated): same
    /// seed, same scenarios.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub seed: Vec<u64>,
    /// Also score every labelled storm folder under DIR (each with
    /// events.ndjson, topology/ and truth.json).
    #[arg(long)]
    pub storms: Option<PathBuf>,
    /// The AIOps 2022 dataset's `data/` folder, a third source for --cv.
    #[arg(long)]
    pub aiops: Option<PathBuf>,
    /// Choose the settings by cross-validation (leave one world out, leave
    /// one family out) and print the held-out figures and calibration.
    #[arg(long)]
    pub cv: bool,
    /// Fit the calibration of link confidences on every storm (default
    /// settings) and print its knots, for `CorrelationConfig::calibration`.
    #[arg(long)]
    pub fit_calibration: bool,
    /// Skip the throughput and latency run.
    #[arg(long)]
    pub no_perf: bool,
    /// Write each storm's events.ndjson, truth.json and report.json here,
    /// and our generator's topology folders under topology/.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs everything asked for and returns the Markdown report.
pub fn run(args: &Args) -> Result<String, String> {
    let mut cases = cases::generator(&args.seed);
    if let Some(dir) = &args.storms {
        cases.extend(cases::storm_folders(dir)?);
    }
    let dataset = args.aiops.as_deref().map(aiops_run::load).transpose()?;
    let config = CorrelationConfig::default();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut signals = 0;
    let mut broken: Vec<String> = Vec::new();
    for c in &cases {
        let (o, report) = evaluate(c, &config);
        signals += report.stats.signals;
        if let Err(why) = contract(c, &report, &config) {
            broken.push(format!("{}: {why}", c.name));
        }
        if let Some(dir) = &args.out {
            let d = dir.join(c.name.replace('/', "-"));
            write(&d.join("events.ndjson"), &c.events)?;
            let truth = serde_json::to_string_pretty(&c.truth).map_err(|e| e.to_string())?;
            write(&d.join("truth.json"), &(truth + "\n"))?;
            write(&d.join("report.json"), &to_json(&report))?;
            let links = serde_json::to_string_pretty(&o.placements).map_err(|e| e.to_string())?;
            write(&d.join("links.json"), &(links + "\n"))?;
        }
        outcomes.push(o);
    }
    if let Some(dir) = &args.out {
        for &seed in &args.seed {
            for w in World::all(seed) {
                for (name, text) in &w.files {
                    write(
                        &dir.join("topology")
                            .join(format!("seed-{seed}-{}", w.name))
                            .join(name),
                        text,
                    )?;
                }
            }
        }
    }
    let mut md = format!(
        "{} storms ({} signals), default settings. Replay contract (each ref once, the same bytes on a rerun): {}.\n\n",
        cases.len(),
        signals,
        if broken.is_empty() {
            "held on every storm".to_string()
        } else {
            format!("BROKEN on {}", broken.join("; "))
        }
    );
    md.push_str(&by_source(&cases, &outcomes));
    md.push_str(&by_family(&cases, &outcomes));
    if args.storms.is_some() {
        md.push_str(&by_storm(&cases, &outcomes));
    }
    let links: Vec<(f64, bool)> = outcomes.iter().flat_map(|o| o.links.clone()).collect();
    md.push_str(&cv::calibration(&links, "default settings, in sample"));
    if args.cv || args.fit_calibration {
        let mut v = cv::Validator::new(&cases, dataset.as_ref());
        if args.cv {
            md.push('\n');
            md.push_str(&v.report());
        }
        if args.fit_calibration {
            let knots = v.fit_all();
            let _ = writeln!(
                md,
                "\nCalibration knots fitted on all {} storms: {}",
                cases.len(),
                serde_json::to_string(&knots).map_err(|e| e.to_string())?
            );
        }
    }
    if !args.no_perf {
        md.push_str(&perf::performance(10_000));
    }
    Ok(md)
}

/// The replay contract of `spec/replay.md` on one storm: every ref in one
/// incident or `unassigned` (or its line in `rejected`), exactly once; a
/// second replay gives the same bytes.
fn contract(
    c: &Case,
    report: &causeway_app::history::replay::Report,
    config: &CorrelationConfig,
) -> Result<(), String> {
    let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for r in report
        .incidents
        .iter()
        .flat_map(|i| &i.signals)
        .chain(&report.unassigned)
    {
        if !seen.insert(r.as_str()) {
            return Err(format!("ref {r} placed twice"));
        }
    }
    if let Some(missing) = c.obs.iter().find(|o| !seen.contains(o.r.as_str())) {
        return Err(format!("ref {} placed nowhere", missing.r));
    }
    let again = evaluate(c, config).1;
    if to_json(&again) != to_json(report) {
        return Err("a second replay gave other bytes".into());
    }
    Ok(())
}

/// Causeway and the baselines, per source and world.
fn by_source(cases: &[Case], outcomes: &[Outcome]) -> String {
    let mut rows: BTreeMap<String, Vec<Scores>> = BTreeMap::new();
    for (c, o) in cases.iter().zip(outcomes) {
        for key in [c.source.clone(), c.world_key()] {
            let row = rows
                .entry(key)
                .or_insert_with(|| vec![Scores::default(); 1 + BASELINES.len()]);
            row[0] += o.total;
            for (i, b) in c.baselines.iter().enumerate() {
                row[1 + i] += *b;
            }
        }
    }
    let mut md = header("source / world");
    for (name, row) in &rows {
        md.push_str(&table_row(name, row));
    }
    let _ = writeln!(
        md,
        "| target | ≥ {F1} | ≥ {RCA} | ≥ {NR} |{}\n",
        " | | |".repeat(BASELINES.len())
    );
    for (name, row) in rows.iter().filter(|(k, _)| !k.contains(':')) {
        let c = row[0];
        let _ = writeln!(
            md,
            "{name}: precision {:.3}, recall {:.3}, {} incidents for {} firing alert identities, {}/{} roots named.",
            c.precision(), c.recall(), c.incidents, c.firing_identities, c.roots_right, c.clusters
        );
    }
    md.push('\n');
    md
}

/// Causeway per fault family (pattern names), per source.
fn by_family(cases: &[Case], outcomes: &[Outcome]) -> String {
    let mut rows: BTreeMap<(String, String), Scores> = BTreeMap::new();
    for (c, o) in cases.iter().zip(outcomes) {
        for (f, s) in &o.families {
            *rows.entry((c.source.clone(), f.clone())).or_default() += *s;
        }
    }
    let mut md = String::from(
        "| source | family | F1 | precision | recall | RCA |\n|---|---|---|---|---|---|\n",
    );
    for ((src, f), s) in &rows {
        let _ = writeln!(
            md,
            "| {src} | {f} | {:.3} | {:.3} | {:.3} | {:.3} ({}/{}) |",
            s.f1(),
            s.precision(),
            s.recall(),
            s.root_cause_accuracy(),
            s.roots_right,
            s.clusters
        );
    }
    md.push('\n');
    md
}

/// Every `--storms` storm: Causeway against the best baseline.
fn by_storm(cases: &[Case], outcomes: &[Outcome]) -> String {
    let mut md = String::from("| storm | F1 | RCA | noise red. | best baseline F1 | beats it |\n|---|---|---|---|---|---|\n");
    let mut beats = 0;
    let mut n = 0;
    for (c, o) in cases
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.source == "storms")
    {
        let (best, name) = c
            .baselines
            .iter()
            .zip(BASELINES)
            .map(|(s, b)| (s.f1(), b))
            .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
        let wins = o.total.f1() > best;
        beats += usize::from(wins);
        n += 1;
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {best:.3} ({name}) | {} |",
            c.name,
            o.total.f1(),
            o.total.root_cause_accuracy(),
            o.total.noise_reduction(),
            if wins { "yes" } else { "no" }
        );
    }
    let _ = writeln!(
        md,
        "\nCauseway beats the best baseline on {beats} of {n} storms.\n"
    );
    md
}

fn header(first: &str) -> String {
    let mut md = format!("| {first} | Causeway F1 | RCA | noise red. |");
    for b in BASELINES {
        let _ = write!(md, " {b} F1 | RCA | noise red. |");
    }
    md.push('\n');
    md.push_str(&"|---".repeat(4 + 3 * BASELINES.len()));
    md.push_str("|\n");
    md
}

fn table_row(name: &str, row: &[Scores]) -> String {
    let mut s = format!("| {name} |");
    for sc in row {
        let _ = write!(
            s,
            " {:.3} | {:.3} | {:.3} |",
            sc.f1(),
            sc.root_cause_accuracy(),
            sc.noise_reduction()
        );
    }
    s.push('\n');
    s
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
