//! `civmap tiles export` writes a PMTiles v3 file a reader can open by the spec (header
//! fields, gzip directories of varint entries, metadata with vector_layers, tiles that
//! decode with @mapbox/vector-tile) and an MBTiles file with its metadata table and TMS rows.
//! The PMTiles archive reads back tile for tile identically — the same tiles as the MBTiles
//! export of the same pyramid, none missing, none extra — with the `pmtiles` crate's reader
//! and with the independent npm `pmtiles` reader (tests/decoder/read-pmtiles.mjs).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::{civmap, root};
use serde_json::Value;

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut s) = (0u64, 0);
    loop {
        let x = b[*i];
        *i += 1;
        v |= u64::from(x & 0x7f) << s;
        if x < 0x80 {
            return v;
        }
        s += 7;
    }
}

/// (tile_id, offset, length, run_length) entries of a directory.
fn directory(b: &[u8]) -> Vec<(u64, u64, u64, u64)> {
    let b = gunzip(b);
    let mut i = 0;
    let n = varint(&b, &mut i) as usize;
    let mut ids = Vec::with_capacity(n);
    let mut last = 0;
    for _ in 0..n {
        last += varint(&b, &mut i);
        ids.push(last);
    }
    let runs: Vec<u64> = (0..n).map(|_| varint(&b, &mut i)).collect();
    let lens: Vec<u64> = (0..n).map(|_| varint(&b, &mut i)).collect();
    let mut offs: Vec<u64> = Vec::with_capacity(n);
    for k in 0..n {
        let v = varint(&b, &mut i);
        offs.push(if v == 0 && k > 0 {
            offs[k - 1] + lens[k - 1]
        } else {
            v - 1
        });
    }
    assert_eq!(i, b.len(), "directory fully consumed");
    (0..n)
        .map(|k| (ids[k], offs[k], lens[k], runs[k]))
        .collect()
}

/// Independent Hilbert tile id (PMTiles spec).
fn tile_id(z: u8, x: u64, y: u64) -> u64 {
    let mut acc = 0;
    for t in 0..z {
        acc += 1u64 << (2 * t);
    }
    let n = 1u64 << z;
    let (mut x, mut y, mut d) = (x, y, 0);
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - (x & (s - 1));
                y = s - 1 - (y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    acc + d
}

fn find(
    file: &[u8],
    root: &[(u64, u64, u64, u64)],
    leaf_off: u64,
    data_off: u64,
    id: u64,
) -> Option<Vec<u8>> {
    let mut dir = root.to_vec();
    loop {
        let e = dir.iter().rev().find(|e| e.0 <= id)?;
        if e.3 == 0 {
            let s = (leaf_off + e.1) as usize;
            dir = directory(&file[s..s + e.2 as usize]);
            continue;
        }
        if id >= e.0 + e.3 {
            return None;
        }
        let s = (data_off + e.1) as usize;
        return Some(gunzip(&file[s..s + e.2 as usize]));
    }
}

#[test]
fn pmtiles_export_reads_back_by_the_spec_and_its_tiles_decode() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("city.pmtiles");
    let o = civmap(&[
        "tiles",
        "export",
        "--format",
        "pmtiles",
        "--maxzoom",
        "13",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    println!("{}", String::from_utf8_lossy(&o.stdout));
    let f = std::fs::read(&out).unwrap();
    assert_eq!(&f[0..7], b"PMTiles");
    assert_eq!(f[7], 3);
    let u = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().unwrap());
    let (root_off, root_len, meta_off, meta_len, leaf_off, _leaf_len, data_off, data_len) =
        (u(8), u(16), u(24), u(32), u(40), u(48), u(56), u(64));
    let (addressed, entries, contents) = (u(72), u(80), u(88));
    assert_eq!(root_off, 127);
    assert!(
        root_off + root_len <= 16384,
        "root directory in the first 16 KiB"
    );
    assert!(
        data_off + data_len <= f.len() as u64,
        "tile data inside the file"
    );
    assert_eq!(f[96], 1, "clustered");
    assert_eq!(f[97], 2, "gzip directories");
    assert_eq!(f[98], 2, "gzip tiles");
    assert_eq!(f[99], 1, "mvt");
    assert_eq!((f[100], f[101]), (0, 13));
    let e7 = |i: usize| f64::from(i32::from_le_bytes(f[i..i + 4].try_into().unwrap())) / 1e7;
    assert!(e7(102) > 118.0 && e7(110) < 121.0 && e7(106) > 29.0 && e7(114) < 31.0);
    let meta: Value = serde_json::from_slice(&gunzip(
        &f[meta_off as usize..(meta_off + meta_len) as usize],
    ))
    .unwrap();
    let ids: Vec<&str> = meta["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["admin", "admin_label", "facilities", "doorplates"]);
    let root = directory(&f[root_off as usize..(root_off + root_len) as usize]);
    assert!(!root.is_empty() && entries >= contents && addressed >= entries);
    // the city's centre tile at zooms 0, 8 and 13 decodes with admin (and facilities)
    let tmp = dir.path().join("t.mvt");
    for (z, lon, lat) in [
        (0u8, 120.155, 30.274),
        (8, 120.155, 30.274),
        (13, 120.17, 30.28),
    ] {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n) as u64;
        let lr = f64::to_radians(lat);
        let y = ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u64;
        let tile = find(&f, &root, leaf_off, data_off, tile_id(z, x, y))
            .unwrap_or_else(|| panic!("tile {z}/{x}/{y} missing"));
        std::fs::write(&tmp, &tile).unwrap();
        let d = Command::new("node")
            .arg(root_path("tests/decoder/decode.mjs"))
            .arg(&tmp)
            .output()
            .unwrap();
        assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
        let v: Value = serde_json::from_slice(&d.stdout).unwrap();
        let layers = v[0]["layers"].as_object().unwrap();
        assert!(
            !layers["admin"]["features"].as_array().unwrap().is_empty(),
            "{z}: admin"
        );
        if z >= 8 {
            assert!(
                !layers["facilities"]["features"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                "{z}: facilities"
            );
        }
    }
    // a tile far outside the city is absent
    assert!(find(&f, &root, leaf_off, data_off, tile_id(13, 0, 0)).is_none());
}

fn root_path(p: &str) -> std::path::PathBuf {
    root().join(p)
}

#[test]
fn mbtiles_export_has_the_metadata_table_and_tms_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("city.mbtiles");
    let o = civmap(&[
        "tiles",
        "export",
        "--format",
        "mbtiles",
        "--maxzoom",
        "10",
        "--layer",
        "admin",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db = rusqlite::Connection::open(&out).unwrap();
    let meta = |k: &str| -> String {
        db.query_row("SELECT value FROM metadata WHERE name = ?1", [k], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(meta("format"), "pbf");
    assert_eq!(meta("maxzoom"), "10");
    let json: Value = serde_json::from_str(&meta("json")).unwrap();
    assert_eq!(json["vector_layers"][0]["id"], "admin");
    assert_eq!(meta("bounds").split(',').count(), 4);
    // z0 is the one tile, stored at TMS row 0; z10's city tiles at rows 2^10-1-y
    let z0: Vec<u8> = db
        .query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level=0 AND tile_column=0 AND tile_row=0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!gunzip(&z0).is_empty());
    let (x, y) = (853u32, 421u32); // z10 tile over West Lake (XYZ)
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM tiles WHERE zoom_level=10 AND tile_column=?1 AND tile_row=?2",
            [x, 1023 - y],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    // bad usage exits 2
    let bad = civmap(&[
        "tiles",
        "export",
        "--format",
        "zip",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `z/x/y` → decompressed tile of an MBTiles file (rows flipped from TMS to XYZ).
fn mbtiles_tiles(path: &std::path::Path) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut q = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let rows = q
        .query_map([], |r| {
            let (z, x, row, data): (u8, u32, u32, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            Ok(((z, x, (1u32 << z) - 1 - row), gunzip(&data)))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn pmtiles_export_reads_back_identically_with_the_crate_and_the_npm_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (pm, mb) = (dir.path().join("c.pmtiles"), dir.path().join("c.mbtiles"));
    for (format, out) in [("pmtiles", &pm), ("mbtiles", &mb)] {
        let o = civmap(&[
            "tiles",
            "export",
            "--format",
            format,
            "--maxzoom",
            "12",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let expected = mbtiles_tiles(&mb);
    assert!(expected.len() > 300, "{} tiles", expected.len());
    // tiles the export covers but left out (empty), and tiles far away: absent in both
    let absent = [(12u8, 0u32, 0u32), (12, 4095, 4095), (5, 0, 31)];

    // the pmtiles crate's reader (Martin's)
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let backend = pmtiles::MmapBackend::try_from(&pm).await.unwrap();
        let reader = pmtiles::AsyncPmTilesReader::try_from_source(backend)
            .await
            .unwrap();
        let h = reader.get_header();
        assert_eq!((h.min_zoom, h.max_zoom), (0, 12));
        assert_eq!(h.tile_type, pmtiles::TileType::Mvt);
        assert_eq!(h.tile_compression, pmtiles::Compression::Gzip);
        assert!(h.min_longitude > 118.0 && h.max_longitude < 121.0);
        assert_eq!(
            h.n_addressed_tiles().map(u64::from),
            Some(expected.len() as u64)
        );
        let meta: Value = serde_json::from_str(&reader.get_metadata().await.unwrap()).unwrap();
        assert_eq!(meta["vector_layers"][0]["id"], "admin");
        for (&(z, x, y), want) in &expected {
            let coord = pmtiles::TileCoord::new(z, x, y).unwrap();
            let got = reader.get_tile_decompressed(coord).await.unwrap();
            assert_eq!(got.as_deref(), Some(&want[..]), "crate reader, {z}/{x}/{y}");
        }
        for (z, x, y) in absent {
            let coord = pmtiles::TileCoord::new(z, x, y).unwrap();
            assert!(
                reader.get_tile(coord).await.unwrap().is_none(),
                "{z}/{x}/{y}"
            );
        }
    });

    // the npm `pmtiles` reader (Protomaps'), by byte ranges
    let mut child = Command::new("node")
        .arg(root_path("tests/decoder/read-pmtiles.mjs"))
        .arg(&pm)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node");
    let coords: String = expected
        .keys()
        .chain(absent.iter())
        .map(|(z, x, y)| format!("{z}/{x}/{y}\n"))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(coords.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["header"]["minZoom"], 0);
    assert_eq!(v["header"]["maxZoom"], 12);
    assert_eq!(v["header"]["numAddressedTiles"], expected.len() as u64);
    assert_eq!(v["metadata"]["vector_layers"][0]["id"], "admin");
    for (&(z, x, y), want) in &expected {
        let got = v["tiles"][format!("{z}/{x}/{y}")]
            .as_str()
            .unwrap_or_else(|| panic!("npm reader: {z}/{x}/{y} missing"));
        assert!(hex(got) == *want, "npm reader, {z}/{x}/{y} differs");
    }
    for (z, x, y) in absent {
        assert!(v["tiles"][format!("{z}/{x}/{y}")].is_null(), "{z}/{x}/{y}");
    }
}
