//! Well-known binary (2D, ISO/OGC) and the GeoPackage geometry blob around it.
//!
//! The decoder reads untrusted bytes (uploaded GeoPackages): every count is checked against
//! the bytes left before anything is allocated, nesting is bounded, and a bad blob is an
//! error naming what is wrong, never a panic.
//!
//! ```
//! use civmap_data::wkb::{gpkg_blob, read_gpkg_blob};
//! use geo::{point, Geometry};
//! let g: Geometry<f64> = point!(x: 120.1, y: 30.2).into();
//! let blob = gpkg_blob(&g, 4490);
//! let (srs_id, back) = read_gpkg_blob(&blob)?;
//! assert_eq!((srs_id, back), (4490, Some(g)));
//! # Ok::<(), civmap_data::wkb::WkbError>(())
//! ```

use geo::{
    BoundingRect, Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint,
    MultiPolygon, Point, Polygon,
};
use thiserror::Error;

/// A geometry blob that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WkbError {
    /// The bytes end before the geometry does.
    #[error("truncated at byte {at}: needed {needed} more bytes")]
    Truncated {
        /// Offset where more was needed.
        at: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// Something that is not a 2D WKB geometry or a GeoPackage blob header.
    #[error("byte {at}: {message}")]
    Malformed {
        /// Offset of the fault.
        at: usize,
        /// What is wrong.
        message: String,
    },
}

const MAX_DEPTH: u32 = 8;

/// `g` as little-endian 2D WKB.
pub fn write_wkb(g: &Geometry<f64>, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, kind: u32) {
        out.push(1);
        out.extend_from_slice(&kind.to_le_bytes());
    }
    fn coords<'a>(out: &mut Vec<u8>, cs: impl ExactSizeIterator<Item = &'a Coord<f64>>) {
        out.extend_from_slice(&(cs.len() as u32).to_le_bytes());
        for c in cs {
            out.extend_from_slice(&c.x.to_le_bytes());
            out.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
        head(out, 3);
        let rings = if p.exterior().0.is_empty() {
            0
        } else {
            1 + p.interiors().len()
        };
        out.extend_from_slice(&(rings as u32).to_le_bytes());
        if rings > 0 {
            coords(out, p.exterior().0.iter());
            for r in p.interiors() {
                coords(out, r.0.iter());
            }
        }
    }
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            out.extend_from_slice(&p.x().to_le_bytes());
            out.extend_from_slice(&p.y().to_le_bytes());
        }
        Geometry::Line(l) => {
            head(out, 2);
            coords(out, [l.start, l.end].iter());
        }
        Geometry::LineString(l) => {
            head(out, 2);
            coords(out, l.0.iter());
        }
        Geometry::Polygon(p) => polygon(out, p),
        Geometry::Rect(r) => polygon(out, &r.to_polygon()),
        Geometry::Triangle(t) => polygon(out, &t.to_polygon()),
        Geometry::MultiPoint(m) => {
            head(out, 4);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for p in &m.0 {
                write_wkb(&Geometry::Point(*p), out);
            }
        }
        Geometry::MultiLineString(m) => {
            head(out, 5);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for l in &m.0 {
                head(out, 2);
                coords(out, l.0.iter());
            }
        }
        Geometry::MultiPolygon(m) => {
            head(out, 6);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for p in &m.0 {
                polygon(out, p);
            }
        }
        Geometry::GeometryCollection(c) => {
            head(out, 7);
            out.extend_from_slice(&(c.0.len() as u32).to_le_bytes());
            for g in &c.0 {
                write_wkb(g, out);
            }
        }
    }
}

/// `g` as a GeoPackage geometry blob: the `GP` header (version 0, little-endian, an XY
/// envelope, the empty flag) then WKB. `srs_id` is the table's `gpkg_spatial_ref_sys` id.
pub fn gpkg_blob(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let rect = g.bounding_rect();
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    // bit 0: little-endian; bits 1-3: envelope kind (1 = minx,maxx,miny,maxy); bit 4: empty
    let flags = match rect {
        Some(_) => 0b0000_0011,
        None => 0b0001_0001,
    };
    out.push(flags);
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = rect {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_wkb(g, &mut out);
    out
}

/// Reads a GeoPackage geometry blob: its `srs_id` and its geometry (`None` when the blob
/// says it is empty).
pub fn read_gpkg_blob(blob: &[u8]) -> Result<(i32, Option<Geometry<f64>>), WkbError> {
    let mut r = Reader { b: blob, at: 0 };
    if r.take(2)? != b"GP" {
        return Err(r.bad(0, "not a GeoPackage geometry blob (no 'GP' magic)"));
    }
    let version = r.u8()?;
    if version != 0 {
        return Err(r.bad(2, format!("GeoPackage blob version {version}, expected 0")));
    }
    let flags = r.u8()?;
    if flags & 0b0010_0000 != 0 {
        return Err(r.bad(3, "extended GeoPackage geometry types are not supported"));
    }
    let little = flags & 1 == 1;
    let srs_id = r.u32(little)? as i32;
    let envelope_doubles = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 4,
        2 | 3 => 6,
        4 => 8,
        e => return Err(r.bad(3, format!("envelope indicator {e} is not 0-4"))),
    };
    r.take(envelope_doubles * 8)?;
    let empty = flags & 0b0001_0000 != 0;
    let g = read_wkb_at(&mut r, 0)?;
    if empty || is_empty(&g) {
        return Ok((srs_id, None));
    }
    Ok((srs_id, Some(g)))
}

/// Reads one 2D WKB geometry (ISO or OGC; Z/M/ZM types are refused by name).
pub fn read_wkb(bytes: &[u8]) -> Result<Geometry<f64>, WkbError> {
    read_wkb_at(&mut Reader { b: bytes, at: 0 }, 0)
}

fn is_empty(g: &Geometry<f64>) -> bool {
    use geo::CoordsIter;
    g.coords_count() == 0
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WkbError> {
        let left = self.b.len() - self.at;
        if n > left {
            return Err(WkbError::Truncated {
                at: self.at,
                needed: n - left,
            });
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, WkbError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self, little: bool) -> Result<u32, WkbError> {
        let s: [u8; 4] = self.take(4)?.try_into().expect("4 bytes");
        Ok(if little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
    fn f64(&mut self, little: bool) -> Result<f64, WkbError> {
        let s: [u8; 8] = self.take(8)?.try_into().expect("8 bytes");
        Ok(if little {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }
    /// A count of items at least `min_bytes` each, checked against the bytes left.
    fn count(&mut self, little: bool, min_bytes: usize) -> Result<usize, WkbError> {
        let at = self.at;
        let n = self.u32(little)? as usize;
        let left = self.b.len() - self.at;
        if n.saturating_mul(min_bytes) > left {
            return Err(self.bad(
                at,
                format!("count {n} needs more than the {left} bytes left"),
            ));
        }
        Ok(n)
    }
    fn bad(&self, at: usize, message: impl Into<String>) -> WkbError {
        WkbError::Malformed {
            at,
            message: message.into(),
        }
    }
    fn coords(&mut self, little: bool) -> Result<Vec<Coord<f64>>, WkbError> {
        let n = self.count(little, 16)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.at;
            let (x, y) = (self.f64(little)?, self.f64(little)?);
            if !(x.is_finite() && y.is_finite()) {
                return Err(self.bad(at, "a coordinate is not finite"));
            }
            v.push(Coord { x, y });
        }
        Ok(v)
    }
    fn polygon_body(&mut self, little: bool) -> Result<Polygon<f64>, WkbError> {
        let rings = self.count(little, 4)?;
        let mut rs = Vec::with_capacity(rings);
        for _ in 0..rings {
            rs.push(LineString(self.coords(little)?));
        }
        let mut it = rs.into_iter();
        let exterior = it.next().unwrap_or_else(|| LineString(vec![]));
        Ok(Polygon::new(exterior, it.collect()))
    }
}

fn read_wkb_at(r: &mut Reader<'_>, depth: u32) -> Result<Geometry<f64>, WkbError> {
    if depth > MAX_DEPTH {
        return Err(r.bad(r.at, "geometry collections nested too deep"));
    }
    let start = r.at;
    let little = match r.u8()? {
        0 => false,
        1 => true,
        o => return Err(r.bad(start, format!("byte order {o}, expected 0 or 1"))),
    };
    let raw = r.u32(little)?;
    if raw & 0xE000_0000 != 0 || raw >= 1000 {
        return Err(r.bad(
            start + 1,
            format!("geometry type {raw}: only 2D geometries are supported (no Z, M or SRID)"),
        ));
    }
    let sub = |r: &mut Reader<'_>, want: u32| -> Result<Geometry<f64>, WkbError> {
        let at = r.at;
        let g = read_wkb_at(r, depth + 1)?;
        let kind = match &g {
            Geometry::Point(_) => 1,
            Geometry::LineString(_) => 2,
            Geometry::Polygon(_) => 3,
            _ => 0,
        };
        if kind != want {
            return Err(r.bad(
                at,
                format!("a multi-geometry member of the wrong type (want WKB type {want})"),
            ));
        }
        Ok(g)
    };
    Ok(match raw {
        1 => {
            let (x, y) = (r.f64(little)?, r.f64(little)?);
            if x.is_nan() && y.is_nan() {
                // the WKB spelling of POINT EMPTY
                Geometry::MultiPoint(MultiPoint(vec![]))
            } else if !(x.is_finite() && y.is_finite()) {
                return Err(r.bad(start, "a coordinate is not finite"));
            } else {
                Geometry::Point(Point::new(x, y))
            }
        }
        2 => Geometry::LineString(LineString(r.coords(little)?)),
        3 => Geometry::Polygon(r.polygon_body(little)?),
        4..=6 => {
            let n = r.count(little, 5)?;
            let want = raw - 3;
            let mut parts = Vec::with_capacity(n);
            for _ in 0..n {
                parts.push(sub(r, want)?);
            }
            match raw {
                4 => Geometry::MultiPoint(MultiPoint(
                    parts
                        .into_iter()
                        .filter_map(|g| Point::try_from(g).ok())
                        .collect(),
                )),
                5 => Geometry::MultiLineString(MultiLineString(
                    parts
                        .into_iter()
                        .filter_map(|g| LineString::try_from(g).ok())
                        .collect(),
                )),
                _ => Geometry::MultiPolygon(MultiPolygon(
                    parts
                        .into_iter()
                        .filter_map(|g| Polygon::try_from(g).ok())
                        .collect(),
                )),
            }
        }
        7 => {
            let n = r.count(little, 5)?;
            let mut parts = Vec::with_capacity(n);
            for _ in 0..n {
                parts.push(read_wkb_at(r, depth + 1)?);
            }
            Geometry::GeometryCollection(GeometryCollection(parts))
        }
        other => {
            return Err(r.bad(
                start + 1,
                format!("geometry type {other} is not point, line, polygon, multi or collection"),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::wkt;

    #[test]
    fn round_trips_every_kind() {
        let gs: Vec<Geometry<f64>> = vec![
            wkt!(POINT(120.1 30.2)).into(),
            wkt!(LINESTRING(120.0 30.0,120.5 30.5)).into(),
            wkt!(POLYGON((0. 0.,4. 0.,4. 4.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.))).into(),
            wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 0.)),((5. 5.,6. 5.,6. 6.,5. 5.)))).into(),
            wkt!(MULTILINESTRING((0. 0.,1. 1.),(2. 2.,3. 3.))).into(),
            wkt!(MULTIPOINT(0. 0.,1. 1.)).into(),
        ];
        for g in gs {
            let blob = gpkg_blob(&g, 4549);
            assert_eq!(read_gpkg_blob(&blob).unwrap(), (4549, Some(g.clone())));
        }
    }

    #[test]
    fn hostile_blobs_are_errors() {
        let good = gpkg_blob(&wkt!(POLYGON((0. 0.,4. 0.,4. 4.,0. 0.))).into(), 4326);
        for cut in 0..good.len() {
            assert!(read_gpkg_blob(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = good.clone();
        // the ring count of the polygon (after the 8-byte header, 32-byte envelope, 5-byte head)
        huge[45..49].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_gpkg_blob(&huge).is_err());
        let mut z = good.clone();
        z[41..45].copy_from_slice(&1003u32.to_le_bytes());
        assert!(read_gpkg_blob(&z).unwrap_err().to_string().contains("2D"));
        // deep nesting of collections
        let mut deep = b"GP\0\x01\0\0\0\0".to_vec();
        for _ in 0..100 {
            deep.extend_from_slice(&[1, 7, 0, 0, 0, 1, 0, 0, 0]);
        }
        assert!(read_gpkg_blob(&deep).is_err());
    }
}
