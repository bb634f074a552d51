//! Geometry on the wire: EWKB out (what PostGIS's binary `geometry` input reads, SRID
//! included, so COPY can load the column directly), WKB in (`ST_AsBinary`). Hand-written
//! because the model needs only points, line strings and (multi)polygons, and because an
//! f64 goes through WKB bit for bit, which keeps `push` then `load` lossless.

use bytes::{BufMut, BytesMut};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// WGS84, the SRID of every civmap geometry column.
pub(crate) const SRID: u32 = 4326;

const POINT: u32 = 1;
const LINESTRING: u32 = 2;
const POLYGON: u32 = 3;
const MULTIPOLYGON: u32 = 6;
const EWKB_SRID_FLAG: u32 = 0x2000_0000;

/// EWKB bytes (little endian, SRID 4326) sent as a PostGIS `geometry` value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ewkb(pub(crate) Vec<u8>);

impl ToSql for Ewkb {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "geometry"
    }

    to_sql_checked!();
}

fn header(out: &mut Vec<u8>, kind: u32) {
    out.push(1); // little endian
    out.extend_from_slice(&(kind | EWKB_SRID_FLAG).to_le_bytes());
    out.extend_from_slice(&SRID.to_le_bytes());
}

fn coords(out: &mut Vec<u8>, cs: &[Coord<f64>]) {
    out.extend_from_slice(&(cs.len() as u32).to_le_bytes());
    for c in cs {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
}

fn polygon_body(out: &mut Vec<u8>, p: &Polygon<f64>) {
    out.extend_from_slice(&(1 + p.interiors().len() as u32).to_le_bytes());
    coords(out, &p.exterior().0);
    for ring in p.interiors() {
        coords(out, &ring.0);
    }
}

/// A point as EWKB.
pub(crate) fn point(p: Point<f64>) -> Ewkb {
    let mut out = Vec::with_capacity(25);
    header(&mut out, POINT);
    out.extend_from_slice(&p.x().to_le_bytes());
    out.extend_from_slice(&p.y().to_le_bytes());
    Ewkb(out)
}

/// A two-point line string as EWKB.
pub(crate) fn segment(a: Coord<f64>, b: Coord<f64>) -> Ewkb {
    let mut out = Vec::with_capacity(45);
    header(&mut out, LINESTRING);
    coords(&mut out, &[a, b]);
    Ewkb(out)
}

/// A multipolygon as EWKB (its parts are plain WKB polygons, as EWKB wants).
pub(crate) fn multi_polygon(mp: &MultiPolygon<f64>) -> Ewkb {
    let mut out = Vec::new();
    header(&mut out, MULTIPOLYGON);
    out.extend_from_slice(&(mp.0.len() as u32).to_le_bytes());
    for p in &mp.0 {
        out.push(1);
        out.extend_from_slice(&POLYGON.to_le_bytes());
        polygon_body(&mut out, p);
    }
    Ewkb(out)
}

/// Reads (E)WKB as written by `ST_AsBinary`/`ST_AsEWKB`.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    little: bool,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            little: true,
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos + N;
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| format!("WKB truncated at byte {} of {}", self.pos, self.buf.len()))?;
        self.pos = end;
        Ok(bytes.try_into().expect("slice of N bytes"))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// Byte order and type of the next geometry, skipping an EWKB SRID; Z/M are refused.
    fn geometry_type(&mut self) -> Result<u32, String> {
        let [order] = self.take::<1>()?;
        self.little = match order {
            0 => false,
            1 => true,
            b => return Err(format!("bad WKB byte order {b}")),
        };
        let raw = self.u32()?;
        if raw & EWKB_SRID_FLAG != 0 {
            let srid = self.u32()?;
            if srid != SRID {
                return Err(format!("SRID {srid}, expected {SRID}"));
            }
        }
        if raw & 0xC000_0000 != 0 || (raw & 0xFFFF) >= 1000 {
            return Err("geometry has Z or M coordinates; civmap stores 2D only".into());
        }
        Ok(raw & 0xFFFF)
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        let x = self.f64()?;
        let y = self.f64()?;
        if !(x.is_finite() && y.is_finite()) {
            return Err(format!("coordinate ({x}, {y}) is not finite"));
        }
        civmap_geo_core::check_lon_lat(x, y).map_err(|e| e.to_string())?;
        Ok(Coord { x, y })
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        let n = self.u32()? as usize;
        // Each element takes at least 4 bytes: refuse counts the buffer cannot hold.
        if n > self.buf.len() {
            return Err(format!("WKB claims {n} {what} in {} bytes", self.buf.len()));
        }
        Ok(n)
    }

    fn ring(&mut self) -> Result<LineString<f64>, String> {
        let n = self.count("points")?;
        (0..n)
            .map(|_| self.coord())
            .collect::<Result<Vec<_>, _>>()
            .map(LineString)
    }

    fn polygon_body(&mut self) -> Result<Polygon<f64>, String> {
        let rings = self.count("rings")?;
        if rings == 0 {
            return Err("polygon is EMPTY".into());
        }
        let exterior = self.ring()?;
        let interiors = (1..rings)
            .map(|_| self.ring())
            .collect::<Result<Vec<_>, _>>()?;
        for r in std::iter::once(&exterior).chain(&interiors) {
            if r.0.len() < 4 || r.0.first() != r.0.last() {
                return Err(format!(
                    "polygon ring of {} points is not closed (needs ≥ 4, first = last)",
                    r.0.len()
                ));
            }
        }
        Ok(Polygon::new(exterior, interiors))
    }

    fn finish<T>(&self, value: T) -> Result<T, String> {
        if self.pos == self.buf.len() {
            Ok(value)
        } else {
            Err(format!(
                "{} bytes left over after the geometry",
                self.buf.len() - self.pos
            ))
        }
    }
}

fn type_name(t: u32) -> String {
    match t {
        1 => "Point".into(),
        2 => "LineString".into(),
        3 => "Polygon".into(),
        4 => "MultiPoint".into(),
        5 => "MultiLineString".into(),
        6 => "MultiPolygon".into(),
        7 => "GeometryCollection".into(),
        other => format!("geometry type {other}"),
    }
}

/// A WKB point; `POINT EMPTY` (NaN coordinates) and other types are errors.
pub(crate) fn read_point(buf: &[u8]) -> Result<Point<f64>, String> {
    let mut r = Reader::new(buf);
    let t = r.geometry_type()?;
    if t != POINT {
        return Err(format!("expected a Point, found a {}", type_name(t)));
    }
    let x = r.f64()?;
    let y = r.f64()?;
    if x.is_nan() && y.is_nan() {
        return Err("point is EMPTY".into());
    }
    r.pos -= 16;
    let c = r.coord()?;
    r.finish(Point(c))
}

/// A WKB multipolygon (a single polygon is accepted as a one-part multipolygon).
pub(crate) fn read_multi_polygon(buf: &[u8]) -> Result<MultiPolygon<f64>, String> {
    let mut r = Reader::new(buf);
    let t = r.geometry_type()?;
    let mp = match t {
        POLYGON => MultiPolygon(vec![r.polygon_body()?]),
        MULTIPOLYGON => {
            let n = r.count("polygons")?;
            if n == 0 {
                return Err("multipolygon is EMPTY".into());
            }
            let mut parts = Vec::with_capacity(n);
            for _ in 0..n {
                let t = r.geometry_type()?;
                if t != POLYGON {
                    return Err(format!(
                        "multipolygon part is a {}, expected a Polygon",
                        type_name(t)
                    ));
                }
                parts.push(r.polygon_body()?);
            }
            MultiPolygon(parts)
        }
        other => {
            return Err(format!(
                "expected a MultiPolygon, found a {}",
                type_name(other)
            ))
        }
    };
    r.finish(mp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon};

    /// EWKB with the SRID stripped is plain WKB.
    fn strip_srid(e: &Ewkb) -> Vec<u8> {
        let mut v = e.0.clone();
        let t = u32::from_le_bytes(v[1..5].try_into().unwrap()) & !EWKB_SRID_FLAG;
        v[1..5].copy_from_slice(&t.to_le_bytes());
        v.drain(5..9);
        v
    }

    #[test]
    fn points_round_trip_bit_for_bit() {
        let p = Point::new(120.155_555_555_555_57, 30.274_444_444_444_443);
        let e = point(p);
        assert_eq!(e.0.len(), 25);
        assert_eq!(read_point(&e.0).unwrap(), p);
        assert_eq!(read_point(&strip_srid(&e)).unwrap(), p);
    }

    #[test]
    fn multipolygons_with_holes_round_trip() {
        let outer = polygon![
            exterior: [(x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)],
            interiors: [[(x: 120.02, y: 30.02), (x: 120.03, y: 30.02), (x: 120.03, y: 30.03)]],
        ];
        let other = polygon![(x: 121.0, y: 30.0), (x: 121.1, y: 30.0), (x: 121.0, y: 30.1)];
        let mp = MultiPolygon(vec![outer, other]);
        assert_eq!(read_multi_polygon(&multi_polygon(&mp).0).unwrap(), mp);
    }

    #[test]
    fn empty_points_and_wrong_types_are_refused() {
        let mut empty = vec![1u8];
        empty.extend_from_slice(&POINT.to_le_bytes());
        empty.extend_from_slice(&f64::NAN.to_le_bytes());
        empty.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(read_point(&empty).unwrap_err(), "point is EMPTY");
        let seg = segment(coord! { x: 120.0, y: 30.0 }, coord! { x: 120.1, y: 30.0 });
        assert!(read_point(&seg.0).unwrap_err().contains("LineString"));
        assert!(read_multi_polygon(&seg.0)
            .unwrap_err()
            .contains("LineString"));
        assert!(read_point(&[1, 1, 0]).unwrap_err().contains("truncated"));
        let far = point(Point::new(200.0, 30.0));
        assert!(read_point(&far.0).unwrap_err().contains("out of range"));
    }
}
