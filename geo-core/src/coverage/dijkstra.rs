//! Bounded multi-source Dijkstra with lexicographic labels.
//!
//! Distances are integer **nanometres** (`u64`): each edge length is rounded once (error
//! ≤ 0.5 nm per edge, ~1e-13 relative), and from then on addition is exact and
//! associative. Every node gets the key `(distance_nm, source)` of the best way to reach
//! it, compared distance first and then source slot. With exact, strictly monotone sums the
//! labels are the unique fixpoint `L(v) = min(entry(v), min_u L(u) + w(u, v))` (keys above
//! the limit count as unreached), and every label is justified by a neighbour carrying
//! the same source: whichever order the work is done in — one pass from scratch, or the
//! incremental repairs of [`super::ScenarioCoverage`] — the labels agree exactly, sources
//! included. (With `f64` sums, `a < b` but `a + w == b + w` breaks that for the source.)

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::cancel::{uncancelled, Cancel, Cancelled};
use super::{Snap, WalkGraph};

/// Source slot of a node nobody reaches within the limit.
pub const NO_SOURCE: u32 = u32::MAX;

/// Distance of a node nobody reaches within the limit.
pub const UNREACHED_NM: u64 = u64::MAX;

/// Metres → nanometres, rounded (saturating: infinity becomes [`UNREACHED_NM`]).
#[inline]
pub fn to_nm(m: f64) -> u64 {
    (m * 1e9).round() as u64
}

/// Nanometres → metres ([`UNREACHED_NM`] becomes infinity).
#[inline]
pub fn to_m(nm: u64) -> f64 {
    if nm == UNREACHED_NM {
        f64::INFINITY
    } else {
        nm as f64 * 1e-9
    }
}

/// Per-node results of a multi-source Dijkstra: nanometres to the nearest source within
/// the limit ([`UNREACHED_NM`] beyond) and that source's slot ([`NO_SOURCE`] beyond).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLabels {
    /// Walking nanometres from the nearest source.
    pub dist_nm: Vec<u64>,
    /// Slot of the nearest source (ties: lower slot).
    pub source: Vec<u32>,
}

impl NodeLabels {
    /// All nodes unreached.
    pub fn unreached(nodes: usize) -> Self {
        Self {
            dist_nm: vec![UNREACHED_NM; nodes],
            source: vec![NO_SOURCE; nodes],
        }
    }

    #[inline]
    fn improves(&self, v: u32, d: u64, s: u32) -> bool {
        (d, s) < (self.dist_nm[v as usize], self.source[v as usize])
    }

    /// Metres to node `v`'s nearest source (infinity when unreached).
    pub fn dist_m(&self, v: u32) -> f64 {
        to_m(self.dist_nm[v as usize])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    dist_nm: u64,
    source: u32,
    node: u32,
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap.
        (other.dist_nm, other.source, other.node).cmp(&(self.dist_nm, self.source, self.node))
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A reusable Dijkstra: labels, heap and the list of nodes touched since the last reset,
/// so repeated small searches (siting, scenario edits) cost what they visit, not the city.
#[derive(Debug, Clone)]
pub struct Dijkstra {
    /// The labels.
    pub labels: NodeLabels,
    heap: BinaryHeap<Item>,
    /// Nodes whose label was set since the last [`Self::reset`] (may repeat).
    pub touched: Vec<u32>,
}

impl Dijkstra {
    /// A search over `nodes` nodes, all unreached.
    pub fn new(nodes: usize) -> Self {
        Self {
            labels: NodeLabels::unreached(nodes),
            heap: BinaryHeap::new(),
            touched: Vec::new(),
        }
    }

    /// Wraps existing labels (for incremental repair).
    pub fn from_labels(labels: NodeLabels) -> Self {
        Self {
            labels,
            heap: BinaryHeap::new(),
            touched: Vec::new(),
        }
    }

    /// Puts the touched nodes back to unreached.
    pub fn reset(&mut self) {
        for &v in &self.touched {
            self.labels.dist_nm[v as usize] = UNREACHED_NM;
            self.labels.source[v as usize] = NO_SOURCE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Offers node `v` the key `(dist_nm, source)`; it is taken if within `limit_nm` and
    /// better than the node's label. Returns whether it was taken.
    #[inline]
    pub fn seed(&mut self, v: u32, dist_nm: u64, source: u32, limit_nm: u64) -> bool {
        if dist_nm <= limit_nm && self.labels.improves(v, dist_nm, source) {
            self.labels.dist_nm[v as usize] = dist_nm;
            self.labels.source[v as usize] = source;
            self.touched.push(v);
            self.heap.push(Item {
                dist_nm,
                source,
                node: v,
            });
            true
        } else {
            false
        }
    }

    /// Seeds both ends of a snapped source's edge: `from` at `offset + node_a_m`, `to` at
    /// `offset + node_b_m`.
    pub fn seed_snap(&mut self, graph: &WalkGraph, snap: &Snap, source: u32, limit_nm: u64) {
        let [a, b] = graph.edge_nodes[snap.edge as usize];
        self.seed(a, to_nm(snap.offset_m + snap.node_a_m), source, limit_nm);
        self.seed(b, to_nm(snap.offset_m + snap.node_b_m), source, limit_nm);
    }

    /// Runs until the heap is empty; labels above `limit_nm` are never set.
    pub fn run(&mut self, graph: &WalkGraph, limit_nm: u64) {
        uncancelled(self.run_cancellable(graph, limit_nm, &Cancel::never()));
    }

    /// [`Self::run`], looking at `cancel` every [`super::CHECK_EVERY`] heap pops. On
    /// `Err` the labels are partial: [`Self::reset`] the search (or drop it) before reuse.
    pub fn run_cancellable(
        &mut self,
        graph: &WalkGraph,
        limit_nm: u64,
        cancel: &Cancel,
    ) -> Result<(), Cancelled> {
        let mut check = cancel.checker();
        while let Some(Item {
            dist_nm,
            source,
            node,
        }) = self.heap.pop()
        {
            check.tick()?;
            let i = node as usize;
            if dist_nm != self.labels.dist_nm[i] || source != self.labels.source[i] {
                continue; // stale
            }
            let r = graph.offsets[i] as usize..graph.offsets[i + 1] as usize;
            for (&u, &w) in graph.targets[r.clone()].iter().zip(&graph.weights_nm[r]) {
                self.seed(u, dist_nm.saturating_add(w), source, limit_nm);
            }
        }
        Ok(())
    }
}

/// Labels of a bounded multi-source Dijkstra from snapped sources (slot = index; `None`
/// slots are closed and ignored).
pub fn multi_source(graph: &WalkGraph, sources: &[Option<Snap>], limit_nm: u64) -> NodeLabels {
    uncancelled(multi_source_cancellable(
        graph,
        sources,
        limit_nm,
        &Cancel::never(),
    ))
}

/// [`multi_source`], stopping with [`Cancelled`] when `cancel` is.
pub fn multi_source_cancellable(
    graph: &WalkGraph,
    sources: &[Option<Snap>],
    limit_nm: u64,
    cancel: &Cancel,
) -> Result<NodeLabels, Cancelled> {
    cancel.check()?;
    let mut search = Dijkstra::new(graph.node_count());
    for (slot, snap) in sources.iter().enumerate() {
        if let Some(snap) = snap {
            search.seed_snap(graph, snap, slot as u32, limit_nm);
        }
    }
    search.run_cancellable(graph, limit_nm, cancel)?;
    Ok(search.labels)
}

/// [`multi_source`] with the sources split into `groups` of slots, each group searched on
/// its own thread (the first on the calling thread) and the labels merged node by node.
///
/// The result equals [`multi_source`] exactly: with exact integer sums a node's label is
/// the lexicographic minimum over the sources `s` of `(d_s(v), s)`, where `d_s(v)` is the
/// shortest walk from `s`'s seeds (within the limit), and that minimum can be taken group
/// by group. Groups of nearby sources (split in space) overlap only along their border,
/// so the threads duplicate little work. Slots in no group are ignored.
pub fn multi_source_grouped(
    graph: &WalkGraph,
    sources: &[Option<Snap>],
    groups: &[Vec<u32>],
    limit_nm: u64,
) -> NodeLabels {
    uncancelled(multi_source_grouped_cancellable(
        graph,
        sources,
        groups,
        limit_nm,
        &Cancel::never(),
    ))
}

/// [`multi_source_grouped`], stopping every thread with [`Cancelled`] when `cancel` is.
pub fn multi_source_grouped_cancellable(
    graph: &WalkGraph,
    sources: &[Option<Snap>],
    groups: &[Vec<u32>],
    limit_nm: u64,
    cancel: &Cancel,
) -> Result<NodeLabels, Cancelled> {
    cancel.check()?;
    let search_group = |group: &[u32]| -> Result<Dijkstra, Cancelled> {
        let mut search = Dijkstra::new(graph.node_count());
        for &slot in group {
            if let Some(Some(snap)) = sources.get(slot as usize) {
                search.seed_snap(graph, snap, slot, limit_nm);
            }
        }
        search.run_cancellable(graph, limit_nm, cancel)?;
        Ok(search)
    };
    let Some((first, rest)) = groups.split_first() else {
        return Ok(NodeLabels::unreached(graph.node_count()));
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = rest
            .iter()
            .map(|group| scope.spawn(move || search_group(group)))
            .collect();
        // On cancellation every thread stops at its next look; all are joined either way.
        let mut merged = search_group(first).map(|s| s.labels);
        for other in others {
            let other = match other.join() {
                Ok(search) => search,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            let (Ok(merged), Ok(other)) = (merged.as_mut(), other) else {
                merged = Err(Cancelled);
                continue;
            };
            for &v in &other.touched {
                let (d, s) = (
                    other.labels.dist_nm[v as usize],
                    other.labels.source[v as usize],
                );
                if merged.improves(v, d, s) {
                    merged.dist_nm[v as usize] = d;
                    merged.source[v as usize] = s;
                }
            }
        }
        merged
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::coverage::CHECK_EVERY;
    use crate::WalkNetwork;

    /// A `side` × `side` street grid, ~100 m blocks.
    fn grid(side: u32) -> WalkGraph {
        let mut network = WalkNetwork::default();
        for i in 0..side {
            for j in 0..side {
                network.add_node(geo::coord! {
                    x: 120.0 + 0.001 * f64::from(j),
                    y: 30.0 + 0.0009 * f64::from(i),
                });
            }
        }
        let id = |i: u32, j: u32| i * side + j;
        for i in 0..side {
            for j in 0..side {
                if j + 1 < side {
                    network.add_edge(id(i, j), id(i, j + 1), None);
                }
                if i + 1 < side {
                    network.add_edge(id(i, j), id(i + 1, j), None);
                }
            }
        }
        WalkGraph::build(&network)
    }

    #[test]
    fn a_cancelled_search_over_a_large_graph_returns_cancelled_within_a_check() {
        // 1,000 × 1,000 nodes, unbounded: an uncancelled search visits all 10^6 of them.
        let g = grid(1_000);
        let limit = UNREACHED_NM - 1;
        let mut full = Dijkstra::new(g.node_count());
        full.seed(0, 0, 0, limit);
        full.run(&g, limit);
        let reached = full
            .labels
            .source
            .iter()
            .filter(|&&s| s != NO_SOURCE)
            .count();
        assert_eq!(reached, g.node_count(), "the whole grid is reached");

        // Already cancelled: it pops at most one check's worth of nodes (each pop labels
        // at most four neighbours), then returns no labels.
        let cancel = Cancel::new();
        cancel.cancel();
        let mut search = Dijkstra::new(g.node_count());
        search.seed(0, 0, 0, limit);
        assert_eq!(search.run_cancellable(&g, limit, &cancel), Err(Cancelled));
        assert!(
            search.touched.len() <= 1 + 4 * CHECK_EVERY as usize,
            "{} nodes labelled after cancelling",
            search.touched.len()
        );

        // A deadline that passes mid-search stops every thread of a grouped search: two
        // sources at opposite corners, each group alone would label the whole grid.
        let corner = |edge: u32| Snap {
            edge,
            t: 0.0,
            offset_m: 0.0,
            node_a_m: 0.0,
            node_b_m: g.edge_length_m[edge as usize],
        };
        let snaps = vec![Some(corner(0)), Some(corner(g.edge_nodes.len() as u32 - 1))];
        let deadline = Instant::now() + Duration::from_millis(20);
        let got = multi_source_grouped_cancellable(
            &g,
            &snaps,
            &[vec![0], vec![1]],
            limit,
            &Cancel::never().with_deadline(deadline),
        );
        assert_eq!(got, Err(Cancelled));
        // Not a speed measurement (the bench is; a search ignoring its token fails the
        // `Err` above): a generous bound for a loaded machine.
        let late = deadline.elapsed();
        assert!(
            late < Duration::from_secs(1),
            "stopped {late:?} after the deadline"
        );
        assert_eq!(
            multi_source_cancellable(&g, &snaps, limit, &cancel),
            Err(Cancelled)
        );
    }
}
