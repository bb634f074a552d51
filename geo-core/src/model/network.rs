use geo::{Coord, Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

use super::ModelError;

/// Index of a node in a [`WalkNetwork`].
pub type NodeId = u32;

/// A walkable street segment between two nodes (undirected: walking goes both ways).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WalkEdge {
    /// One end.
    pub from: NodeId,
    /// The other end.
    pub to: NodeId,
    /// Geodesic length of the straight segment, metres.
    pub length_m: f64,
    /// Index into [`WalkNetwork::road_names`], or `None` for an unnamed path.
    pub road: Option<u32>,
}

/// The walking network: nodes (intersections and shape points) and straight edges between them.
///
/// ```
/// use civmap_geo_core::WalkNetwork;
/// use geo::coord;
/// let mut net = WalkNetwork::default();
/// let a = net.add_node(coord! { x: 120.15, y: 30.27 });
/// let b = net.add_node(coord! { x: 120.151, y: 30.27 });
/// let road = net.intern_road("文三路");
/// net.add_edge(a, b, Some(road));
/// assert!((net.edges[0].length_m - 96.3).abs() < 0.5);
/// assert_eq!(net.component_count(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalkNetwork {
    /// Node positions in WGS84 degrees (`x` = longitude, `y` = latitude).
    pub nodes: Vec<Coord<f64>>,
    /// Edges between nodes.
    pub edges: Vec<WalkEdge>,
    /// Road names referenced by edges.
    pub road_names: Vec<String>,
    /// Whether the network is generated.
    pub synthetic: bool,
}

impl WalkNetwork {
    /// Adds a node and returns its id.
    pub fn add_node(&mut self, c: Coord<f64>) -> NodeId {
        self.nodes.push(c);
        (self.nodes.len() - 1) as NodeId
    }

    /// Adds an edge, computing its geodesic length; returns the edge index.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId, road: Option<u32>) -> usize {
        let length_m = Geodesic.distance(
            Point(self.nodes[from as usize]),
            Point(self.nodes[to as usize]),
        );
        self.edges.push(WalkEdge {
            from,
            to,
            length_m,
            road,
        });
        self.edges.len() - 1
    }

    /// Adds a road name (no de-duplication: callers that want it keep their own map).
    pub fn intern_road(&mut self, name: &str) -> u32 {
        self.road_names.push(name.to_owned());
        (self.road_names.len() - 1) as u32
    }

    /// The road name of an edge, if it has one.
    pub fn road_name(&self, edge: &WalkEdge) -> Option<&str> {
        edge.road
            .and_then(|r| self.road_names.get(r as usize))
            .map(String::as_str)
    }

    /// Checks that every edge refers to existing nodes and every node is a valid coordinate.
    pub fn validate(&self) -> Result<(), ModelError> {
        for c in &self.nodes {
            super::check_lon_lat(c.x, c.y)?;
        }
        let n = self.nodes.len();
        for (i, e) in self.edges.iter().enumerate() {
            for node in [e.from, e.to] {
                if node as usize >= n {
                    return Err(ModelError::DanglingEdge {
                        edge: i,
                        node,
                        nodes: n,
                    });
                }
            }
        }
        Ok(())
    }

    /// Node degrees (an edge from a node to itself counts twice).
    pub fn degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.nodes.len()];
        for e in &self.edges {
            d[e.from as usize] += 1;
            d[e.to as usize] += 1;
        }
        d
    }

    /// Intersections: nodes where three or more edges meet, or dead ends (degree 1).
    /// Shape points (degree 2) are not counted.
    pub fn intersection_count(&self) -> usize {
        self.degrees()
            .into_iter()
            .filter(|&d| d != 2 && d != 0)
            .count()
    }

    /// For each node, the id of its connected component (components numbered from 0
    /// in order of their smallest node id).
    pub fn component_labels(&self) -> Vec<u32> {
        let n = self.nodes.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(p: &mut [u32], mut x: u32) -> u32 {
            while p[x as usize] != x {
                p[x as usize] = p[p[x as usize] as usize];
                x = p[x as usize];
            }
            x
        }
        for e in &self.edges {
            let (a, b) = (find(&mut parent, e.from), find(&mut parent, e.to));
            if a != b {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent[hi as usize] = lo;
            }
        }
        let mut label = vec![u32::MAX; n];
        let mut next = 0u32;
        let mut out = vec![0u32; n];
        for i in 0..n as u32 {
            let r = find(&mut parent, i);
            if label[r as usize] == u32::MAX {
                label[r as usize] = next;
                next += 1;
            }
            out[i as usize] = label[r as usize];
        }
        out
    }

    /// Number of connected components (isolated nodes count as components).
    pub fn component_count(&self) -> usize {
        self.component_labels()
            .into_iter()
            .max()
            .map_or(0, |m| m as usize + 1)
    }

    /// Total length of all edges, metres.
    pub fn total_length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }
}
