//! Settings chosen by cross-validation, never by looking at one storm.
//!
//! Each setting the engine has a number for is an [`Axis`] with a few
//! values an SRE would consider. A coordinate descent from the defaults
//! picks, on the *training* storms of a fold, the values that maximise the
//! objective; the storms held out are then scored with them. Folds:
//! - **leave one world out**: every `source:world` (our generator's two
//!   applications, each `--storms` world, the AIOps system) is held out in
//!   turn; every storm is held out exactly once, so the held-out figures
//!   add up to one out-of-sample score and one calibration table;
//! - **leave one family out**: every fault family (by pattern name) in
//!   turn, scored on that family's clusters only.
//!
//! The objective is the mean over sources of (pair F1 + root-cause
//! accuracy) / 2, root-cause accuracy alone for the AIOps storms, so that
//! no source outweighs another by its size.

use super::cases::{evaluate, Case, Outcome};
use crate::aiops::{Dataset, Results};
use crate::scenarios::score::Scores;
use causeway_core::correlate::calibration::{calibrate, fit};
use causeway_core::CorrelationConfig;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::Arc;

/// One setting and the values tried.
pub struct Axis {
    /// Its name in `CorrelationConfig` (camelCase, as in `--rules`; a dot
    /// reaches into a group: `rank.blamed`).
    pub name: &'static str,
    pub values: Vec<Value>,
}

/// The settings cross-validation chooses, with values around their
/// defaults that real alerting makes plausible (scrape intervals and
/// `for:` clauses of a minute or two, incidents of minutes to an hour).
pub fn axes() -> Vec<Axis> {
    let a = |name, values: &[i64]| Axis {
        name,
        values: values.iter().map(|v| json!(v)).collect(),
    };
    let f = |name, values: &[f64]| Axis {
        name,
        values: values.iter().map(|v| json!(v)).collect(),
    };
    vec![
        a("groupWindowSecs", &[900, 1800, 3600]),
        a("topologyWindowSecs", &[300, 600, 900, 1800]),
        a("onsetToleranceSecs", &[60, 120, 300]),
        a("adoptWindowSecs", &[300, 600, 1200]),
        a("topologyMaxHops", &[1, 2, 3, 4]),
        a("chronicMinEpisodes", &[2, 3, 4]),
        a("chronicGapSecs", &[300, 600, 1200]),
        a("chronicPersistSecs", &[1800, 3600, 7200]),
        f("rank.upstream", &[2.0, 3.0, 4.0]),
        f("rank.blamed", &[1.5, 2.5, 3.5]),
        f("rank.change", &[1.0, 1.5, 2.5]),
        f("rank.moreCauses", &[0.0, 0.5, 1.0]),
        f("rank.fresh", &[0.0, 0.75, 1.5]),
    ]
}

/// A choice of one value per axis, by index.
type Choice = Vec<usize>;

/// Everything one setting scored: per case, and on the AIOps storms.
struct Eval {
    outcomes: Vec<Outcome>,
    aiops: Option<Results>,
}

/// Which part of the storms a fold looks at.
#[derive(Clone)]
struct Part {
    /// Per case: counted or not.
    cases: Vec<bool>,
    /// Only these families' clusters (`None`: every signal).
    families: Option<BTreeSet<String>>,
    aiops: bool,
}

/// The sums of one part under one setting, per source.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub by_source: BTreeMap<String, Scores>,
    /// AIOps root cause at 1: (right, total).
    pub aiops: Option<(usize, usize)>,
    pub links: Vec<(f64, bool)>,
}

impl Totals {
    /// The objective (see the module doc).
    pub fn objective(&self) -> f64 {
        let mut terms: Vec<f64> = self
            .by_source
            .values()
            .filter(|s| s.true_pairs > 0 || s.clusters > 0)
            .map(|s| (s.f1() + s.root_cause_accuracy()) / 2.0)
            .collect();
        if let Some((right, total)) = self.aiops.filter(|a| a.1 > 0) {
            terms.push(right as f64 / total as f64);
        }
        if terms.is_empty() {
            return 0.0;
        }
        terms.iter().sum::<f64>() / terms.len() as f64
    }
}

pub struct Validator<'a> {
    cases: &'a [Case],
    aiops: Option<&'a Dataset>,
    axes: Vec<Axis>,
    base: Value,
    cache: BTreeMap<Choice, Arc<Eval>>,
}

impl<'a> Validator<'a> {
    pub fn new(cases: &'a [Case], aiops: Option<&'a Dataset>) -> Self {
        Validator {
            cases,
            aiops,
            axes: axes(),
            // Raw link scores: each fold fits its own calibration on them.
            base: serde_json::to_value(CorrelationConfig {
                calibration: Vec::new(),
                ..CorrelationConfig::default()
            })
            .expect("config serializes"),
            cache: BTreeMap::new(),
        }
    }

    fn default_choice(&self) -> Choice {
        self.axes
            .iter()
            .map(|a| {
                let d = setting(&self.base, a.name);
                a.values
                    .iter()
                    .position(|v| v.as_f64() == d.as_f64())
                    .unwrap_or(0)
            })
            .collect()
    }

    pub fn config(&self, c: &Choice) -> CorrelationConfig {
        let mut v = self.base.clone();
        for (a, &i) in self.axes.iter().zip(c) {
            let mut at = &mut v;
            for part in a.name.split('.') {
                at = &mut at[part];
            }
            *at = a.values[i].clone();
        }
        serde_json::from_value(v).expect("axes name real settings")
    }

    /// What differs from the defaults, as `name=value` pairs.
    pub fn describe(&self, c: &Choice) -> String {
        let d = self.default_choice();
        let said: Vec<String> = self
            .axes
            .iter()
            .zip(c.iter().zip(&d))
            .filter(|(_, (a, b))| a != b)
            .map(|(axis, (&i, _))| format!("{}={}", axis.name, axis.values[i]))
            .collect();
        if said.is_empty() {
            "defaults".into()
        } else {
            said.join(", ")
        }
    }

    fn eval(&mut self, c: &Choice) -> Arc<Eval> {
        if let Some(e) = self.cache.get(c) {
            return e.clone();
        }
        let config = self.config(c);
        let cases = self.cases;
        // Two threads: the machine the bench runs on has two cores.
        let half = cases.len().div_ceil(2);
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let parts: Vec<_> = cases
                .chunks(half.max(1))
                .map(|chunk| {
                    let config = &config;
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|case| {
                                // The reasons are for --out; the cache keeps scores.
                                let mut o = evaluate(case, config).0;
                                o.placements.clear();
                                o
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("no panic"))
                .collect()
        });
        let aiops = self.aiops.map(|d| d.evaluate(&config));
        let e = Arc::new(Eval { outcomes, aiops });
        self.cache.insert(c.clone(), e.clone());
        e
    }

    fn totals(&mut self, c: &Choice, part: &Part) -> Totals {
        let e = self.eval(c);
        let mut t = Totals::default();
        for ((case, o), &on) in self.cases.iter().zip(&e.outcomes).zip(&part.cases) {
            if !on {
                continue;
            }
            let acc = t.by_source.entry(case.source.clone()).or_default();
            match &part.families {
                None => {
                    *acc += o.total;
                    t.links.extend(&o.links);
                }
                Some(fs) => {
                    for (f, s) in &o.families {
                        if fs.contains(f) {
                            *acc += *s;
                        }
                    }
                }
            }
        }
        if part.aiops {
            t.aiops = e
                .aiops
                .as_ref()
                .and_then(|r| r.get("all"))
                .map(|(mine, _)| (mine.right, mine.total));
        }
        t
    }

    /// Coordinate descent from the defaults on `part`; ties keep the
    /// current value (the default first).
    fn choose(&mut self, part: &Part) -> Choice {
        let mut current = self.default_choice();
        let mut best = self.totals(&current, part).objective();
        for _pass in 0..2 {
            let mut improved = false;
            for a in 0..self.axes.len() {
                for i in 0..self.axes[a].values.len() {
                    if i == current[a] {
                        continue;
                    }
                    let mut c = current.clone();
                    c[a] = i;
                    let j = self.totals(&c, part).objective();
                    if j > best + 1e-9 {
                        best = j;
                        current = c;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
        current
    }

    /// Runs every fold and returns the report.
    pub fn report(&mut self) -> String {
        let n = self.cases.len();
        let all = Part {
            cases: vec![true; n],
            families: None,
            aiops: self.aiops.is_some(),
        };
        let mut md = String::from("## Cross-validation\n\n");
        let _ = writeln!(
            md,
            "Settings chosen by coordinate descent over {} axes ({}), objective: mean over sources of (pair F1 + root-cause accuracy) / 2.\n",
            self.axes.len(),
            self.axes.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
        );
        let chosen_all = self.choose(&all);
        let in_sample = self.totals(&chosen_all, &all);
        let defaults = self.default_choice();
        let at_default = self.totals(&defaults, &all);
        // Leave one world out.
        let mut worlds: Vec<String> = self.cases.iter().map(Case::world_key).collect();
        worlds.sort();
        worlds.dedup();
        if self.aiops.is_some() {
            worlds.push("aiops:cloudbed-1".into());
        }
        md.push_str("### Leave one world out\n\n| held out | settings chosen on the rest | held-out F1 | RCA | noise red. | AIOps RCA@1 |\n|---|---|---|---|---|---|\n");
        let mut held = Totals::default();
        let mut held_cases: Vec<Option<Outcome>> = vec![None; n];
        for w in &worlds {
            let is_aiops = w.starts_with("aiops:");
            let train = Part {
                cases: self.cases.iter().map(|c| &c.world_key() != w).collect(),
                families: None,
                aiops: self.aiops.is_some() && !is_aiops,
            };
            let test = Part {
                cases: self.cases.iter().map(|c| &c.world_key() == w).collect(),
                families: None,
                aiops: is_aiops,
            };
            let c = self.choose(&train);
            let mut t = self.totals(&c, &test);
            // Calibrated on the training worlds, stated on the held-out one.
            let knots = fit(&self.totals(&c, &train).links);
            for l in &mut t.links {
                l.0 = calibrate(&knots, l.0);
            }
            let e = self.eval(&c);
            for (i, on) in test.cases.iter().enumerate() {
                if *on {
                    held_cases[i] = Some(e.outcomes[i].clone());
                }
            }
            let s = sum(&t);
            let _ = writeln!(
                md,
                "| {w} | {} | {} | {} | {} | {} |",
                self.describe(&c),
                fmt(s.true_pairs > 0, s.f1()),
                fmt(s.clusters > 0, s.root_cause_accuracy()),
                fmt(s.firing_identities > 0, s.noise_reduction()),
                t.aiops.map_or("".into(), |(r, n)| format!(
                    "{:.3} ({r}/{n})",
                    r as f64 / n.max(1) as f64
                )),
            );
            for (src, sc) in t.by_source {
                *held.by_source.entry(src).or_default() += sc;
            }
            held.links.extend(t.links);
            if t.aiops.is_some() {
                held.aiops = t.aiops;
            }
        }
        md.push_str("\n### Out of sample (each storm scored by settings chosen without its world) beside in sample\n\n| source | held-out F1 | RCA | noise red. | in-sample F1 | RCA | noise red. | defaults F1 | RCA | noise red. |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (src, s) in &held.by_source {
            let i = in_sample.by_source.get(src).copied().unwrap_or_default();
            let d = at_default.by_source.get(src).copied().unwrap_or_default();
            let _ =
                writeln!(
                md,
                "| {src} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                s.f1(), s.root_cause_accuracy(), s.noise_reduction(),
                i.f1(), i.root_cause_accuracy(), i.noise_reduction(),
                d.f1(), d.root_cause_accuracy(), d.noise_reduction(),
            );
        }
        if let Some((r, t)) = held.aiops {
            let i = in_sample.aiops.unwrap_or_default();
            let d = at_default.aiops.unwrap_or_default();
            let _ = writeln!(
                md,
                "| aiops (RCA@1) | | {:.3} | | | {:.3} | | | {:.3} | |",
                r as f64 / t.max(1) as f64,
                i.0 as f64 / i.1.max(1) as f64,
                d.0 as f64 / d.1.max(1) as f64
            );
        }
        let beats: Vec<&Case> = self
            .cases
            .iter()
            .zip(&held_cases)
            .filter(|(c, o)| {
                o.as_ref()
                    .is_some_and(|o| o.total.f1() > c.best_baseline_f1())
            })
            .map(|(c, _)| c)
            .collect();
        let _ = writeln!(
            md,
            "\nHeld out, Causeway's pair F1 is above the best baseline's on {} of {} storms. In sample: {}.\n",
            beats.len(),
            n,
            self.describe(&chosen_all)
        );
        // Leave one family out.
        let mut families: BTreeSet<String> = BTreeSet::new();
        for c in self.cases {
            families.extend(c.truth.clusters.values().map(|c| c.family.clone()));
        }
        md.push_str("### Leave one family out (scored on that family's clusters)\n\n| held out | settings chosen on the rest | held-out F1 | RCA | in-sample F1 | RCA |\n|---|---|---|---|---|---|\n");
        for f in &families {
            let train = Part {
                cases: vec![true; n],
                families: Some(families.iter().filter(|x| *x != f).cloned().collect()),
                aiops: self.aiops.is_some(),
            };
            let test = Part {
                cases: vec![true; n],
                families: Some(BTreeSet::from([f.clone()])),
                aiops: false,
            };
            let c = self.choose(&train);
            let t = sum(&self.totals(&c, &test));
            let i = sum(&self.totals(&chosen_all, &test));
            let _ = writeln!(
                md,
                "| {f} | {} | {} | {} | {} | {} |",
                self.describe(&c),
                fmt(t.true_pairs > 0, t.f1()),
                fmt(t.clusters > 0, t.root_cause_accuracy()),
                fmt(i.true_pairs > 0, i.f1()),
                fmt(i.clusters > 0, i.root_cause_accuracy()),
            );
        }
        md.push('\n');
        md.push_str(&calibration(
            &held.links,
            "held out (leave one world out; each fold calibrated on the other worlds)",
        ));
        md
    }

    /// Knots fitted on every storm at the default settings: what
    /// `CorrelationConfig::calibration` ships with.
    pub fn fit_all(&mut self) -> Vec<[f64; 2]> {
        let all = Part {
            cases: vec![true; self.cases.len()],
            families: None,
            aiops: false,
        };
        let d = self.default_choice();
        fit(&self.totals(&d, &all).links)
    }
}

/// A setting's value by its dotted name.
fn setting<'a>(v: &'a Value, name: &str) -> &'a Value {
    name.split('.').fold(v, |at, part| &at[part])
}

/// The calibration table of link confidences, by decile, and the
/// expected calibration error.
pub fn calibration(links: &[(f64, bool)], which: &str) -> String {
    let mut bins = [(0u64, 0u64, 0.0f64); 10];
    for &(p, right) in links {
        let b = ((p * 10.0).floor() as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += u64::from(right);
        bins[b].2 += p;
    }
    let n = links.len().max(1) as f64;
    let mut ece = 0.0;
    let mut md = format!("### Calibration of link confidences, {which}: {} links\n\n| confidence | links | mean stated | right |\n|---|---|---|---|\n", links.len());
    for (i, (count, right, sum)) in bins.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        let (stated, acc) = (sum / *count as f64, *right as f64 / *count as f64);
        ece += *count as f64 / n * (stated - acc).abs();
        let _ = writeln!(
            md,
            "| {:.1}–{:.1} | {count} | {stated:.3} | {acc:.3} |",
            i as f64 / 10.0,
            (i + 1) as f64 / 10.0
        );
    }
    let _ = writeln!(
        md,
        "\nExpected calibration error: {ece:.3} (target ≤ 0.05)."
    );
    md
}

/// All sources together.
fn sum(t: &Totals) -> Scores {
    let mut s = Scores::default();
    for v in t.by_source.values() {
        s += *v;
    }
    s
}

fn fmt(ok: bool, v: f64) -> String {
    if ok {
        format!("{v:.3}")
    } else {
        "–".into()
    }
}
