//! OpenStreetMap PBF: the walking network, named POIs (landmarks) and the POIs that are one
//! of our facility categories.
//!
//! Two passes over the file, so that memory follows what is kept rather than the file size:
//! the first keeps walkable ways (as node-id lists), POI nodes and named POI ways; the second
//! looks up the coordinates of just the nodes those ways use. Every way node becomes a network
//! node, so edges follow the street geometry; nodes shared by ways are shared in the network.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use civmap_geo_core::{
    check_lon_lat, Facility, FacilityAttributes, FacilityCategory, Landmark, WalkNetwork,
};
use geo::{Coord, Point};
use osmpbf::{BlobDecode, BlobReader, Element};

use super::{file_name, ImportLayer, ImportSummary, Imported};
use crate::crs::InputCrs;
use crate::DataError;

/// Skip reason: a way segment whose end node is not in the extract (clipped at its edge).
pub(super) const MISSING_NODE: &str = "way references node missing from file";
const NOT_WALKABLE: &str =
    "highway way not walkable (motorway/trunk, foot=no, private, area, construction…)";
const SHORT_WAY: &str = "highway way with fewer than 2 nodes";
const REPEATED_NODE: &str = "way segment repeating the same node";
const BAD_NODE: &str = "node with coordinates out of range";

/// Keys whose presence (with a `name`) makes a node a landmark, in order of preference.
const POI_KEYS: [&str; 7] = [
    "amenity",
    "shop",
    "tourism",
    "leisure",
    "office",
    "historic",
    "public_transport",
];

pub(super) fn import(
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    import_from(&Source::Path(path), layer, crs, progress)
}

/// The import of a PBF file in memory; `file` names it in errors.
pub(super) fn import_bytes(
    file: &str,
    bytes: &[u8],
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    import_from(&Source::Bytes { file, bytes }, layer, crs, progress)
}

/// Where the PBF is read from: the two passes open it twice.
#[derive(Debug)]
enum Source<'a> {
    /// A file, streamed.
    Path(&'a Path),
    /// Bytes in memory (uploads, fuzzing), named `file` in errors.
    Bytes { file: &'a str, bytes: &'a [u8] },
}

impl Source<'_> {
    fn name(&self) -> String {
        match self {
            Source::Path(path) => file_name(path),
            Source::Bytes { file, .. } => (*file).to_owned(),
        }
    }

    fn size(&self) -> Result<u64, DataError> {
        match self {
            Source::Path(path) => Ok(std::fs::metadata(path)
                .map_err(|e| DataError::io(*path, e))?
                .len()),
            Source::Bytes { bytes, .. } => Ok(bytes.len() as u64),
        }
    }

    fn open(&self) -> Result<Box<dyn Read + Send + '_>, DataError> {
        match self {
            Source::Path(path) => {
                let handle = File::open(path).map_err(|e| DataError::io(*path, e))?;
                Ok(Box::new(BufReader::new(handle)))
            }
            Source::Bytes { bytes, .. } => Ok(Box::new(*bytes)),
        }
    }
}

fn import_from(
    source: &Source<'_>,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = source.name();
    if !crs.transformer()?.is_identity() {
        return Err(DataError::invalid(
            &file,
            "file",
            None,
            "OSM data is always WGS84: leave out --crs",
        ));
    }
    let (network, landmarks, facilities) = match layer {
        None => (true, true, true),
        Some(ImportLayer::Network) => (true, false, false),
        Some(ImportLayer::Landmarks) => (false, true, false),
        Some(ImportLayer::Facilities) => (false, false, true),
        Some(other) => {
            return Err(DataError::invalid(
                &file,
                "file",
                None,
                format!(
                    "OSM import provides network, landmarks and facilities, not --layer {other}"
                ),
            ))
        }
    };
    let size = source.size()?;
    let mut state = State {
        want_network: network,
        want_landmarks: landmarks,
        want_facilities: facilities,
        ..State::default()
    };
    let total = 2 * size;
    scan(source, &file, &mut |el| state.first_pass(el), &mut |done| {
        progress(done, total)
    })?;
    if !state.way_nodes.is_empty() {
        scan(
            source,
            &file,
            &mut |el| state.second_pass(el),
            &mut |done| progress(size + done, total),
        )?;
    }
    progress(total, total);
    Ok(state.finish())
}

/// Reads every element of the file, blob by blob; `progress` gets the bytes read so far.
fn scan(
    source: &Source<'_>,
    file: &str,
    each: &mut dyn FnMut(Element<'_>),
    progress: &mut dyn FnMut(u64),
) -> Result<(), DataError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let reader = BlobReader::new(CountingReader {
        inner: source.open()?,
        bytes: Arc::clone(&bytes),
    });
    let bad = |index: usize, bytes: &AtomicU64, message: String| {
        DataError::invalid(
            file,
            format!("blob {index} (near byte {})", bytes.load(Ordering::Relaxed)),
            None,
            format!("not a valid OSM PBF file: {message}"),
        )
    };
    let mut blobs = 0;
    for (index, blob) in reader.enumerate() {
        let blob = blob.map_err(|e| bad(index, &bytes, e.to_string()))?;
        match blob
            .decode()
            .map_err(|e| bad(index, &bytes, e.to_string()))?
        {
            BlobDecode::OsmHeader(_) => {}
            BlobDecode::OsmData(_) if index == 0 => {
                return Err(bad(
                    index,
                    &bytes,
                    "the first block is data, expected an OSMHeader block".to_owned(),
                ))
            }
            BlobDecode::OsmData(block) => block.for_each_element(&mut *each),
            BlobDecode::Unknown(kind) => {
                if index == 0 {
                    return Err(bad(
                        index,
                        &bytes,
                        format!("the first block is {kind:?}, expected OSMHeader"),
                    ));
                }
            }
        }
        blobs += 1;
        progress(bytes.load(Ordering::Relaxed));
    }
    if blobs == 0 {
        return Err(DataError::invalid(
            file,
            "file",
            None,
            "not a valid OSM PBF file: it is empty",
        ));
    }
    Ok(())
}

/// Counts the bytes read through it, for progress.
struct CountingReader<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R> std::fmt::Debug for CountingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingReader")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A POI found in the first pass; ways get their location from their first node later.
#[derive(Debug)]
enum Poi {
    Landmark(Landmark),
    Facility(Facility),
}

#[derive(Debug, Default)]
struct State {
    want_network: bool,
    want_landmarks: bool,
    want_facilities: bool,
    nodes_read: usize,
    ways_read: usize,
    relations_read: usize,
    highway_ways: usize,
    /// OSM node id → local index, in order of first use by a kept way or POI way.
    way_nodes: HashMap<i64, u32>,
    /// Coordinates by local index, filled in the second pass.
    coords: Vec<Option<Coord<f64>>>,
    /// Kept walkable ways: local node indexes and road name index.
    ways: Vec<(Vec<u32>, Option<u32>)>,
    road_names: Vec<String>,
    road_index: HashMap<String, u32>,
    pois: Vec<Poi>,
    /// POIs mapped as ways, located at their first node (local index) after the second pass.
    way_pois: Vec<(Poi, u32)>,
    summary: ImportSummary,
}

impl State {
    fn first_pass(&mut self, el: Element<'_>) {
        match el {
            Element::Node(n) => {
                self.nodes_read += 1;
                self.node_poi(n.id(), n.lon(), n.lat(), n.tags());
            }
            Element::DenseNode(n) => {
                self.nodes_read += 1;
                self.node_poi(n.id(), n.lon(), n.lat(), n.tags());
            }
            Element::Way(w) => {
                self.ways_read += 1;
                let tags: HashMap<&str, &str> = w.tags().collect();
                if tags.contains_key("highway") {
                    self.highway_ways += 1;
                    if self.want_network {
                        self.walkable_way(&tags, w.refs());
                    }
                } else if let Some(first) = w.refs().next() {
                    if let Some(poi) =
                        self.classify(&tags, format!("osm:way/{}", w.id()), Point::new(0.0, 0.0))
                    {
                        let index = self.local(first);
                        self.way_pois.push((poi, index));
                    }
                }
            }
            Element::Relation(_) => self.relations_read += 1,
        }
    }

    fn second_pass(&mut self, el: Element<'_>) {
        let (id, lon, lat) = match el {
            Element::Node(n) => (n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
            _ => return,
        };
        if let Some(&i) = self.way_nodes.get(&id) {
            if check_lon_lat(lon, lat).is_ok() {
                self.coords[i as usize] = Some(Coord { x: lon, y: lat });
            } else {
                self.summary.skip(BAD_NODE);
            }
        }
    }

    /// The local index of an OSM node id, allocating one on first use.
    fn local(&mut self, id: i64) -> u32 {
        match self.way_nodes.entry(id) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let i = self.coords.len() as u32;
                self.coords.push(None);
                *e.insert(i)
            }
        }
    }

    fn node_poi<'t>(
        &mut self,
        id: i64,
        lon: f64,
        lat: f64,
        tags: impl Iterator<Item = (&'t str, &'t str)>,
    ) {
        if !(self.want_landmarks || self.want_facilities) {
            return;
        }
        let tags: HashMap<&str, &str> = tags.collect();
        if tags.is_empty() {
            return;
        }
        if check_lon_lat(lon, lat).is_err() {
            self.summary.skip(BAD_NODE);
            return;
        }
        if let Some(poi) = self.classify(&tags, format!("osm:node/{id}"), Point::new(lon, lat)) {
            self.pois.push(poi);
        }
    }

    /// A named POI as a facility (when its tags map to a category) or a landmark, if wanted.
    fn classify(
        &self,
        tags: &HashMap<&str, &str>,
        id: String,
        location: Point<f64>,
    ) -> Option<Poi> {
        let name = tags
            .get("name")
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())?;
        if let Some(category) = facility_category(tags) {
            if !self.want_facilities {
                return None;
            }
            let address = match (tags.get("addr:street"), tags.get("addr:housenumber")) {
                (Some(s), Some(n)) => format!("{s} {n}"),
                (Some(s), None) => (*s).to_owned(),
                _ => String::new(),
            };
            let beds = if category == FacilityCategory::ElderCareInstitution {
                tags.get("beds").and_then(|b| b.trim().parse::<u32>().ok())
            } else {
                None
            };
            let attributes = FacilityAttributes {
                beds,
                ..FacilityAttributes::default()
            };
            return Some(Poi::Facility(Facility {
                id,
                name: name.to_owned(),
                category,
                location,
                address,
                admin_code: None,
                attributes,
                synthetic: false,
            }));
        }
        if !self.want_landmarks {
            return None;
        }
        let kind = POI_KEYS
            .iter()
            .find_map(|k| tags.get(k).map(|v| format!("{k}={v}")))
            .or_else(|| {
                (tags.get("railway") == Some(&"station")).then(|| "railway=station".to_owned())
            })?;
        Some(Poi::Landmark(Landmark {
            id,
            name: name.to_owned(),
            kind,
            location,
            synthetic: false,
        }))
    }

    fn walkable_way(&mut self, tags: &HashMap<&str, &str>, refs: impl Iterator<Item = i64>) {
        if !is_walkable(tags) {
            self.summary.skip(NOT_WALKABLE);
            return;
        }
        let refs: Vec<i64> = refs.collect();
        if refs.len() < 2 {
            self.summary.skip(SHORT_WAY);
            return;
        }
        let road = tags
            .get("name")
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .map(|name| {
                if let Some(&i) = self.road_index.get(name) {
                    return i;
                }
                let i = self.road_names.len() as u32;
                self.road_names.push(name.to_owned());
                self.road_index.insert(name.to_owned(), i);
                i
            });
        let nodes = refs.into_iter().map(|r| self.local(r)).collect();
        self.ways.push((nodes, road));
    }

    fn finish(mut self) -> Imported {
        let mut out = Imported::default();
        if self.want_network {
            // Network node ids: the way nodes found in the file, in order of first use.
            let mut remap = vec![u32::MAX; self.coords.len()];
            let mut net = WalkNetwork {
                road_names: std::mem::take(&mut self.road_names),
                ..WalkNetwork::default()
            };
            let used_by_ways: Vec<bool> = {
                let mut used = vec![false; self.coords.len()];
                for (nodes, _) in &self.ways {
                    for &n in nodes {
                        used[n as usize] = true;
                    }
                }
                used
            };
            for (i, c) in self.coords.iter().enumerate() {
                if let (Some(c), true) = (c, used_by_ways[i]) {
                    remap[i] = net.add_node(*c);
                }
            }
            for (nodes, road) in &self.ways {
                for pair in nodes.windows(2) {
                    let (a, b) = (remap[pair[0] as usize], remap[pair[1] as usize]);
                    if pair[0] == pair[1] {
                        self.summary.skip(REPEATED_NODE);
                    } else if a == u32::MAX || b == u32::MAX {
                        self.summary.skip(MISSING_NODE);
                    } else {
                        net.add_edge(a, b, *road);
                    }
                }
            }
            let counts = &mut self.summary.counts;
            counts.insert("walkable ways".to_owned(), self.ways.len());
            counts.insert("network nodes".to_owned(), net.nodes.len());
            counts.insert("network edges".to_owned(), net.edges.len());
            counts.insert("road names".to_owned(), net.road_names.len());
            self.summary.imported += net.edges.len();
            out.network = Some(net);
        }
        for (mut poi, first) in std::mem::take(&mut self.way_pois) {
            let Some(c) = self.coords[first as usize] else {
                self.summary
                    .skip("POI way whose first node is missing from file");
                continue;
            };
            match &mut poi {
                Poi::Landmark(l) => l.location = Point(c),
                Poi::Facility(f) => f.location = Point(c),
            }
            self.pois.push(poi);
        }
        for poi in std::mem::take(&mut self.pois) {
            match poi {
                Poi::Landmark(l) => out.landmarks.push(l),
                Poi::Facility(f) => out.facilities.push(f),
            }
        }
        let s = &mut self.summary;
        s.read = self.nodes_read + self.ways_read;
        s.imported += out.landmarks.len() + out.facilities.len();
        s.counts.insert("nodes".to_owned(), self.nodes_read);
        s.counts.insert("ways".to_owned(), self.ways_read);
        s.counts.insert("relations".to_owned(), self.relations_read);
        s.counts
            .insert("highway ways".to_owned(), self.highway_ways);
        if self.want_landmarks {
            s.counts.insert("landmarks".to_owned(), out.landmarks.len());
        }
        if self.want_facilities {
            s.counts
                .insert("facilities".to_owned(), out.facilities.len());
        }
        out.summary = self.summary;
        out
    }
}

/// Whether people may walk along a `highway=*` way.
fn is_walkable(tags: &HashMap<&str, &str>) -> bool {
    let Some(highway) = tags.get("highway") else {
        return false;
    };
    let foot = tags.get("foot").copied().unwrap_or("");
    let foot_allowed = matches!(foot, "yes" | "designated" | "permissive");
    if foot == "no" || tags.get("area") == Some(&"yes") {
        return false;
    }
    if matches!(tags.get("access"), Some(&("no" | "private"))) && !foot_allowed {
        return false;
    }
    match *highway {
        "footway" | "path" | "pedestrian" | "steps" | "living_street" | "residential" | "service"
        | "unclassified" | "road" | "tertiary" | "tertiary_link" | "secondary" | "secondary_link" | "primary"
        | "primary_link" | "track" | "cycleway" | "bridleway" | "corridor" | "crossing"
        // `trail` is not an OSM value but shows up in the wild (159 ways in the Helsinki extract,
        // footpaths in parks and on islands): it means path.
        | "trail" => true,
        "construction" | "proposed" | "abandoned" | "platform" | "raceway" | "bus_guideway" | "razed" => false,
        // motorway, trunk and anything unusual (elevator, busway, …) only when foot says so
        _ => foot_allowed,
    }
}

/// Our facility category for an OSM POI, when its tags say it is one.
fn facility_category(tags: &HashMap<&str, &str>) -> Option<FacilityCategory> {
    let amenity = tags.get("amenity").copied();
    let list = |key: &str| {
        tags.get(key)
            .map(|v| v.split(';').map(str::trim).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    match amenity {
        Some("social_facility") => {
            let kind = tags.get("social_facility").copied().unwrap_or("");
            let for_whom = list("social_facility:for");
            if matches!(kind, "nursing_home" | "assisted_living") || for_whom.contains(&"senior") {
                Some(FacilityCategory::ElderCareInstitution)
            } else if for_whom.iter().any(|f| matches!(*f, "child" | "juvenile")) {
                Some(FacilityCategory::ChildWelfareInstitution)
            } else {
                Some(FacilityCategory::SocialWorkStation)
            }
        }
        Some("nursing_home") => Some(FacilityCategory::ElderCareInstitution),
        Some("community_centre") => Some(FacilityCategory::NeighbourhoodCentre),
        Some("funeral_hall") => Some(FacilityCategory::FuneralService),
        _ if tags.get("shop") == Some(&"funeral_directors") => {
            Some(FacilityCategory::FuneralService)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &[(&'a str, &'a str)]) -> HashMap<&'a str, &'a str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn footways_and_residential_streets_are_walkable_motorways_are_not() {
        assert!(is_walkable(&tags(&[("highway", "footway")])));
        assert!(is_walkable(&tags(&[("highway", "residential")])));
        assert!(!is_walkable(&tags(&[("highway", "motorway")])));
        assert!(is_walkable(&tags(&[
            ("highway", "trunk"),
            ("foot", "designated")
        ])));
        assert!(!is_walkable(&tags(&[
            ("highway", "footway"),
            ("foot", "no")
        ])));
        assert!(!is_walkable(&tags(&[
            ("highway", "service"),
            ("access", "private")
        ])));
        assert!(is_walkable(&tags(&[
            ("highway", "service"),
            ("access", "private"),
            ("foot", "yes")
        ])));
        assert!(!is_walkable(&tags(&[
            ("highway", "pedestrian"),
            ("area", "yes")
        ])));
        assert!(!is_walkable(&tags(&[("highway", "construction")])));
    }

    #[test]
    fn social_facilities_map_to_categories_by_who_they_serve() {
        let cat = |p: &[(&str, &str)]| facility_category(&tags(p));
        assert_eq!(
            cat(&[
                ("amenity", "social_facility"),
                ("social_facility", "nursing_home")
            ]),
            Some(FacilityCategory::ElderCareInstitution)
        );
        assert_eq!(
            cat(&[
                ("amenity", "social_facility"),
                ("social_facility:for", "disabled;senior")
            ]),
            Some(FacilityCategory::ElderCareInstitution)
        );
        assert_eq!(
            cat(&[
                ("amenity", "social_facility"),
                ("social_facility:for", "juvenile")
            ]),
            Some(FacilityCategory::ChildWelfareInstitution)
        );
        assert_eq!(
            cat(&[("amenity", "social_facility")]),
            Some(FacilityCategory::SocialWorkStation)
        );
        assert_eq!(
            cat(&[("amenity", "community_centre")]),
            Some(FacilityCategory::NeighbourhoodCentre)
        );
        assert_eq!(
            cat(&[("shop", "funeral_directors")]),
            Some(FacilityCategory::FuneralService)
        );
        assert_eq!(cat(&[("amenity", "cafe")]), None);
    }
}
