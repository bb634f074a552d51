//! Splitting an integer total in proportion to weights, exactly (largest-remainder method),
//! so that synthetic counts add up to the census to the person.

/// Splits `total` into `weights.len()` non-negative integers proportional to `weights`
/// that sum exactly to `total` (Hamilton's largest-remainder method; ties go to the lower
/// index). Zero or non-finite weights get nothing unless every weight is zero, in which case
/// the total is spread evenly.
///
/// ```
/// # use civmap_data::synthetic::allocate_exact;
/// assert_eq!(allocate_exact(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
/// assert_eq!(allocate_exact(7, &[0.0, 2.0, 5.0]).iter().sum::<u64>(), 7);
/// ```
pub fn allocate_exact(total: u64, weights: &[f64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = weights
        .iter()
        .map(|&w| if w.is_finite() && w > 0.0 { w } else { 0.0 })
        .collect();
    let sum: f64 = clean.iter().sum();
    let clean = if sum > 0.0 {
        clean
    } else {
        vec![1.0; weights.len()]
    };
    let sum: f64 = clean.iter().sum();
    let mut out = Vec::with_capacity(clean.len());
    let mut rema = Vec::with_capacity(clean.len());
    let mut given = 0u64;
    for (i, w) in clean.iter().enumerate() {
        let exact = total as f64 * w / sum;
        let fl = exact.floor() as u64;
        out.push(fl);
        given += fl;
        rema.push((exact - fl as f64, i));
    }
    let mut left = total.saturating_sub(given);
    rema.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut k = 0;
    while left > 0 {
        out[rema[k % rema.len()].1] += 1;
        left -= 1;
        k += 1;
    }
    // floating error could over-give by a unit in pathological cases: take it back
    let mut over = out.iter().sum::<u64>().saturating_sub(total);
    let mut i = 0;
    while over > 0 {
        if out[i] > 0 {
            out[i] -= 1;
            over -= 1;
        }
        i = (i + 1) % out.len();
    }
    out
}

/// Like [`allocate_exact`] but no share exceeds its cap (`caps[i]`); the cap total must be
/// at least `total`. Used to spread elderly residents without exceeding residents.
pub fn allocate_capped(total: u64, weights: &[f64], caps: &[u64]) -> Vec<u64> {
    let mut out = allocate_exact(total, weights);
    let mut excess = 0u64;
    for (o, &c) in out.iter_mut().zip(caps) {
        if *o > c {
            excess += *o - c;
            *o = c;
        }
    }
    // hand the excess to those with room, in order of room left
    while excess > 0 {
        let mut moved = false;
        for (o, &c) in out.iter_mut().zip(caps) {
            if excess == 0 {
                break;
            }
            if *o < c {
                *o += 1;
                excess -= 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_sums_exactly_for_awkward_weights() {
        let w: Vec<f64> = (0..997).map(|i| ((i * 7919) % 113) as f64 + 0.1).collect();
        for total in [0u64, 1, 996, 11_936_010] {
            assert_eq!(allocate_exact(total, &w).iter().sum::<u64>(), total);
        }
    }

    #[test]
    fn capped_allocation_respects_caps_and_total() {
        let caps = [5u64, 0, 10, 3];
        let out = allocate_capped(15, &[10.0, 10.0, 1.0, 1.0], &caps);
        assert_eq!(out.iter().sum::<u64>(), 15);
        assert!(out.iter().zip(caps).all(|(o, c)| *o <= c));
    }
}
