//! The walking network as a compressed sparse row (CSR) adjacency: three flat arrays, so a
//! Dijkstra over a quarter of a million nodes touches memory in long runs instead of
//! chasing per-node `Vec`s.

use crate::WalkNetwork;

/// Undirected walking graph in CSR form. Node ids are those of the [`WalkNetwork`]; each
/// network edge appears twice (once per direction) with its geodesic `length_m` as weight.
/// Self-loops are dropped (they never shorten a walk).
#[derive(Debug, Clone, Default)]
pub struct WalkGraph {
    /// `offsets[v]..offsets[v + 1]` indexes `v`'s arcs; `len = nodes + 1`.
    pub offsets: Vec<u32>,
    /// Arc heads.
    pub targets: Vec<u32>,
    /// Arc weights: edge length in integer nanometres (see [`super::dijkstra`]).
    pub weights_nm: Vec<u64>,
    /// Network edge index of each arc.
    pub arc_edge: Vec<u32>,
    /// `[from, to]` of every network edge (including skipped ones), by edge index.
    pub edge_nodes: Vec<[u32; 2]>,
    /// `length_m` of every network edge, by edge index.
    pub edge_length_m: Vec<f64>,
}

impl WalkGraph {
    /// Builds the CSR arrays from a network (edges to missing nodes are skipped).
    pub fn build(network: &WalkNetwork) -> Self {
        let n = network.nodes.len();
        let mut degree = vec![0u32; n + 1];
        let valid =
            |e: &crate::WalkEdge| (e.from as usize) < n && (e.to as usize) < n && e.from != e.to;
        for e in network.edges.iter().filter(|e| valid(e)) {
            degree[e.from as usize] += 1;
            degree[e.to as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut acc = 0u32;
        for d in degree.iter().take(n) {
            offsets.push(acc);
            acc += d;
        }
        offsets.push(acc);
        let m = acc as usize;
        let mut cursor: Vec<u32> = offsets[..n].to_vec();
        let mut targets = vec![0u32; m];
        let mut weights_nm = vec![0u64; m];
        let mut arc_edge = vec![0u32; m];
        for (i, e) in network.edges.iter().enumerate() {
            if !valid(e) {
                continue;
            }
            for (a, b) in [(e.from, e.to), (e.to, e.from)] {
                let slot = cursor[a as usize] as usize;
                cursor[a as usize] += 1;
                targets[slot] = b;
                weights_nm[slot] = super::dijkstra::to_nm(e.length_m.max(0.0));
                arc_edge[slot] = i as u32;
            }
        }
        Self {
            offsets,
            targets,
            weights_nm,
            arc_edge,
            edge_nodes: network.edges.iter().map(|e| [e.from, e.to]).collect(),
            edge_length_m: network.edges.iter().map(|e| e.length_m).collect(),
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of arcs (twice the undirected edges).
    pub fn arc_count(&self) -> usize {
        self.targets.len()
    }

    /// The arcs leaving `v`: `(head, weight_nm)`.
    #[inline]
    pub fn arcs(&self, v: u32) -> impl Iterator<Item = (u32, u64)> + '_ {
        let r = self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize;
        self.targets[r.clone()]
            .iter()
            .copied()
            .zip(self.weights_nm[r].iter().copied())
    }
}
