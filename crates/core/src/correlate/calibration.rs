//! Link confidences that mean what they say.
//!
//! A claim's score ranks candidates; what a person reads is the chance the
//! link is right. The map between the two is fitted on labelled storms the
//! settings were not chosen on (`causeway bench correlation --cv` fits it by
//! isotonic regression per fold and prints the held-out calibration table,
//! `--fit-calibration` prints the knots for all sources) and kept in the
//! settings as knots `[score, probability]`, interpolated linearly. It is
//! monotone, so it never changes a decision, only what the link says.

/// The knots fitted on all the labelled storms the bench has (our
/// generator's seeds 1–3 and the 24 development storms), by
/// `causeway bench correlation --storms DIR --seed 1,2,3 --fit-calibration`;
/// the held-out calibration error of this fit, fold by fold, is in
/// `docs/bench-correlation.md`. Refit when the engine changes.
pub const DEFAULT: &[[f64; 2]] = &[
    [0.55, 0.808],
    [0.6, 0.808],
    [0.65, 0.959],
    [0.7, 0.959],
    [0.75, 0.959],
    [0.8, 0.972],
    [0.85, 0.972],
    [0.9, 0.974],
    [0.95, 0.976],
    [1.0, 0.976],
];

/// The probability a link of this raw score is right, by the knots
/// (sorted by score); without knots, the score itself.
pub fn calibrate(knots: &[[f64; 2]], score: f64) -> f64 {
    let (Some(first), Some(last)) = (knots.first(), knots.last()) else {
        return score;
    };
    if score < first[0] {
        // Below anything the fit saw: no evidence to state more than the
        // score itself.
        return score.min(first[1]);
    }
    if score >= last[0] {
        return last[1];
    }
    for w in knots.windows(2) {
        let ([x0, y0], [x1, y1]) = (w[0], w[1]);
        if score <= x1 {
            if x1 <= x0 {
                return y1;
            }
            return y0 + (y1 - y0) * (score - x0) / (x1 - x0);
        }
    }
    last[1]
}

/// Knots fitted by isotonic regression (pool adjacent violators) to
/// `(score, right)` pairs: at each distinct score, the pooled share right.
pub fn fit(points: &[(f64, bool)]) -> Vec<[f64; 2]> {
    let mut by_score: Vec<(f64, f64, f64)> = Vec::new(); // (score, right, n)
    let mut sorted: Vec<(f64, bool)> = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (s, r) in sorted {
        match by_score.last_mut() {
            Some(last) if (last.0 - s).abs() < 1e-9 => {
                last.1 += f64::from(u8::from(r));
                last.2 += 1.0;
            }
            _ => by_score.push((s, f64::from(u8::from(r)), 1.0)),
        }
    }
    // Blocks: (first index, last index, right, n)
    let mut blocks: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (i, (_, r, n)) in by_score.iter().enumerate() {
        blocks.push((i, i, *r, *n));
        while blocks.len() >= 2 {
            let b = blocks[blocks.len() - 1];
            let a = blocks[blocks.len() - 2];
            if a.2 / a.3 <= b.2 / b.3 {
                break;
            }
            blocks.pop();
            let merged = (a.0, b.1, a.2 + b.2, a.3 + b.3);
            *blocks.last_mut().expect("two blocks") = merged;
        }
    }
    let mut knots = Vec::new();
    for (from, to, r, n) in blocks {
        for (s, _, _) in &by_score[from..=to] {
            knots.push([round3(*s), round3(r / n)]);
        }
    }
    knots
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_knots_and_clamps_outside() {
        let k = [[0.5, 0.6], [0.8, 0.9], [1.0, 0.95]];
        assert_eq!(
            calibrate(&k, 0.3),
            0.3,
            "below the fit: never more than the score"
        );
        assert_eq!(calibrate(&k, 0.5), 0.6);
        assert!((calibrate(&k, 0.65) - 0.75).abs() < 1e-9);
        assert_eq!(calibrate(&k, 1.2), 0.95);
        assert_eq!(calibrate(&[], 0.42), 0.42);
    }

    #[test]
    fn the_shipped_knots_are_a_monotone_map_into_probabilities() {
        assert!(DEFAULT
            .windows(2)
            .all(|w| w[0][0] < w[1][0] && w[0][1] <= w[1][1]));
        assert!(DEFAULT.iter().all(|k| (0.0..=1.0).contains(&k[1])));
    }

    #[test]
    fn isotonic_fit_is_monotone_and_pools_violators() {
        // 0.7 links are right 9/10, 0.8 links 6/10: pooled to 15/20.
        let mut pts = Vec::new();
        for i in 0..10 {
            pts.push((0.7, i < 9));
            pts.push((0.8, i < 6));
            pts.push((0.9, i < 10));
        }
        let k = fit(&pts);
        assert_eq!(k, vec![[0.7, 0.75], [0.8, 0.75], [0.9, 1.0]]);
        assert!(k.windows(2).all(|w| w[0][1] <= w[1][1]));
    }
}
