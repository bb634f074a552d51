#!/usr/bin/env python3
"""Cuts small OSM PBF seeds for the `import_osm` fuzz target out of the real Helsinki
extract (data/osm/helsinki.osm.pbf, ODbL, see data/osm/SOURCES.md): a few walkable ways and
named POIs with the nodes they use, re-encoded as one header blob and one data blob,
zlib-compressed and raw (the raw form lets the fuzzer mutate the protobuf itself).

    python3 fuzz/make_osm_seeds.py   # writes fuzz/seeds/import_osm/helsinki-*.pbf
"""
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "data", "osm", "helsinki.osm.pbf")
OUT = os.path.join(ROOT, "fuzz", "seeds", "import_osm")


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        else:
            raise ValueError(f"wire type {w}")
        out.append((f, v))
    return out


def packed(b):
    i, out = 0, []
    while i < len(b):
        v, i = varint(b, i)
        out.append(v)
    return out


def unzig(v):
    return (v >> 1) ^ -(v & 1)


def zig(v):
    return (v << 1) ^ (v >> 63)


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def field_varint(f, v):
    return enc_varint(f << 3) + enc_varint(v)


def field_bytes(f, b):
    return enc_varint(f << 3 | 2) + enc_varint(len(b)) + b


def field_packed(f, vals):
    return field_bytes(f, b"".join(enc_varint(v) for v in vals))


def blobs(data):
    i = 0
    while i < len(data):
        (hl,) = struct.unpack(">I", data[i:i + 4])
        header = dict(fields(data[i + 4:i + 4 + hl]))
        size = header[3]
        blob = dict(fields(data[i + 4 + hl:i + 4 + hl + size]))
        raw = blob[1] if 1 in blob else zlib.decompress(blob[3])
        yield header[1].decode(), raw
        i += 4 + hl + size


def read():
    """Nodes (id → lon, lat, tags) and ways (id, tags, refs) of the extract."""
    nodes, ways, header = {}, [], None
    for kind, raw in blobs(open(SRC, "rb").read()):
        if kind == "OSMHeader":
            header = raw
            continue
        block = fields(raw)
        st = [s for f, v in block if f == 1 for g, s in fields(v) if g == 1]
        gran = next((v for f, v in block if f == 17), 100)
        lat_off = next((v for f, v in block if f == 19), 0)
        lon_off = next((v for f, v in block if f == 20), 0)
        for f, group in block:
            if f != 2:
                continue
            for g, item in fields(group):
                if g == 2:  # DenseNodes
                    d = dict((k, v) for k, v in fields(item) if k in (1, 8, 9, 10))
                    ids, lats, lons = (list(map(unzig, packed(d.get(k, b"")))) for k in (1, 8, 9))
                    kv = packed(d.get(10, b""))
                    nid = lat = lon = 0
                    j = 0
                    for n in range(len(ids)):
                        nid, lat, lon = nid + ids[n], lat + lats[n], lon + lons[n]
                        tags = {}
                        while j < len(kv) and kv[j] != 0:
                            tags[st[kv[j]].decode()] = st[kv[j + 1]].decode()
                            j += 2
                        j += 1
                        nodes[nid] = ((lon_off + gran * lon) * 1e-9, (lat_off + gran * lat) * 1e-9, tags)
                elif g == 3:  # Way
                    w = fields(item)
                    wid = next(v for k, v in w if k == 1)
                    keys = [x for k, v in w if k == 2 for x in packed(v)]
                    vals = [x for k, v in w if k == 3 for x in packed(v)]
                    refs, r = [], 0
                    for k, v in w:
                        if k == 8:
                            for x in packed(v):
                                r += unzig(x)
                                refs.append(r)
                    tags = {st[a].decode(): st[b].decode() for a, b in zip(keys, vals)}
                    ways.append((wid, tags, refs))
    return header, nodes, ways


def encode(header, nodes, ways, compress):
    strings = [b""]
    index = {}

    def s(x):
        x = x.encode()
        if x not in index:
            index[x] = len(strings)
            strings.append(x)
        return index[x]

    ids = sorted(nodes)
    dense = bytearray()
    kv, prev = [], (0, 0, 0)
    d_ids, d_lat, d_lon = [], [], []
    for nid in ids:
        lon, lat, tags = nodes[nid]
        la, lo = round(lat * 1e7), round(lon * 1e7)  # granularity 100 nanodegrees
        d_ids.append(zig(nid - prev[0]))
        d_lat.append(zig(la - prev[1]))
        d_lon.append(zig(lo - prev[2]))
        prev = (nid, la, lo)
        for k, v in tags.items():
            kv += [s(k), s(v)]
        kv.append(0)
    dense += field_packed(1, d_ids) + field_packed(8, d_lat) + field_packed(9, d_lon) + field_packed(10, kv)
    group_nodes = field_bytes(2, bytes(dense))
    group_ways = b""
    for wid, tags, refs in ways:
        deltas, r = [], 0
        for x in refs:
            deltas.append(zig(x - r))
            r = x
        way = field_varint(1, wid) + field_packed(2, [s(k) for k in tags]) + field_packed(3, [s(v) for v in tags.values()]) + field_packed(8, deltas)
        group_ways += field_bytes(3, way)
    table = b"".join(field_bytes(1, x) for x in strings)
    block = field_bytes(1, table) + field_bytes(2, group_nodes) + field_bytes(2, group_ways)

    def frame(kind, raw):
        blob = field_varint(2, len(raw)) + field_bytes(3, zlib.compress(raw)) if compress else field_bytes(1, raw)
        head = field_bytes(1, kind.encode()) + field_varint(3, len(blob))
        return struct.pack(">I", len(head)) + head + blob

    return frame("OSMHeader", header) + frame("OSMData", block)


def main():
    header, nodes, ways = read()
    walk = [w for w in ways if w[1].get("highway") in ("footway", "residential", "pedestrian", "living_street", "steps", "service", "primary", "path")]
    named_ways = [w for w in ways if "highway" not in w[1] and w[1].get("name") and any(k in w[1] for k in ("amenity", "shop", "tourism"))]
    pois = [n for n, (_, _, t) in nodes.items() if t.get("name") and any(k in t for k in ("amenity", "shop", "tourism", "leisure"))]
    social = [n for n, (_, _, t) in nodes.items() if t.get("amenity") in ("social_facility", "community_centre", "kindergarten", "townhall")]
    cuts = {
        "walk3": (walk[:3], pois[:2]),
        "walk12": (walk[10:22], pois[5:12] + social[:3]),
        "mixed": (walk[40:46] + named_ways[:3], social[3:8]),
        "pois": ([], pois[20:40]),
        "motorway": ([w for w in ways if w[1].get("highway") in ("motorway", "trunk", "construction")][:3] + [w for w in ways if w[1].get("foot") == "no"][:2], []),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, (ws, ns) in cuts.items():
        keep = {n: nodes[n] for w in ws for n in w[2] if n in nodes}
        # one node clipped off, as at the edge of a real extract
        if ws and len(ws[0][2]) > 2:
            keep.pop(ws[0][2][-1], None)
        keep.update({n: nodes[n] for n in ns})
        for compress in (True, False):
            path = os.path.join(OUT, f"helsinki-{name}-{'zlib' if compress else 'raw'}.pbf")
            with open(path, "wb") as f:
                f.write(encode(header, keep, ws, compress))
            print(path, os.path.getsize(path), "bytes,", len(keep), "nodes,", len(ws), "ways")


main()
