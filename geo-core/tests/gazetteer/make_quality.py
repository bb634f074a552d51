#!/usr/bin/env python3
"""Writes quality.tsv: expected top-1 answers for gazetteer queries, reasoned from the real
NBS 2023 names and the test dataset of dataset.rs (mirrored here), never from the engine.

Generated styles pick queries that are unambiguous by construction (an exact name nobody else
uses, a prefix only one name has, a substring only one name contains, a short form whose
highest-level owner is unique). Pinyin, initials, mixed, homophone, typo and English rows are
written by hand in handwritten.tsv. Run: python3 make_quality.py > quality.tsv
"""
import csv, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "../../../data/hangzhou/divisions/hangzhou_divisions_nbs2023.csv")
rng = random.Random(2023)

SUFFIXES = ["社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "村委会", "居委会",
            "社区", "街道", "区", "县", "市", "镇", "乡", "村"]

def short_forms(name):
    out, cur = [], name
    while True:
        for s in SUFFIXES:
            if cur.endswith(s) and len(cur) - len(s) >= 2:
                stem = cur[: -len(s)]
                if s in ("村民委员会", "村委会"):
                    out.append(stem + "村")
                if s in ("社区居民委员会", "社区居委会"):
                    out.append(stem + "社区")
                out.append(stem)
                cur = stem
                break
        else:
            return [f for f in out if f != name]

def stem(name):
    f = short_forms(name)
    return f[-1] if f else name

rows = list(csv.DictReader(open(CSV, encoding="utf-8")))
RANK = {"city": 4, "district": 3, "township": 2, "village": 1}
# entity: (kind, expected, name, rank, forms)
ents = []
for r in rows:
    ents.append(("admin", r["code12"], r["name"], RANK[r["level"]], {r["name"], *short_forms(r["name"])}, r))
ROADS = ["文三路", "文二路", "文一路", "莫干山路", "天目山路", "延安路", "解放路", "庆春路",
    "凤起路", "体育场路", "教工路", "学院路", "古墩路", "保俶路", "南山路", "湖滨路",
    "中河路", "建国路", "秋涛路", "钱江路", "江南大道", "滨盛路", "江陵路", "市心路",
    "金城路", "临平大道", "丰潭路", "紫金港路", "余杭塘路", "留和路", "之江路", "虎跑路",
    "曙光路", "黄龙路", "西溪路", "灵隐路", "环城北路", "环城西路", "武林路", "中山北路",
    "上塘路", "石祥路", "德胜路", "东新路", "望江路", "清泰街", "河坊街", "平海路",
    "惠民路", "九堡大道", "月雅路", "闻涛路", "网商路", "江晖路", "滨安路", "风情大道"]
FC = "祥瑞丰泰兴康宁安和顺福嘉华荣盛昌隆裕鸿鑫"
def filler(i):
    n = len(FC); pairs = n * (n - 1); p = i % pairs; a = p // (n - 1); b = p % (n - 1)
    if b >= a: b += 1
    suf = ["路", "街", "巷"][i % 3]
    rnd = i // pairs
    return FC[a] + FC[b] + suf if rnd == 0 else f"{FC[a]}{FC[b]}{rnd + 1}{suf}"
for name in ROADS + [filler(i) for i in range(300)]:
    ents.append(("road", name, name, 0, {name}, None))
ci = 0
for r in rows:
    if r["level"] == "district":
        n = r["name"] + "婚姻登记处"; ents.append(("facility", n, n, 0, {n}, r))
    elif r["level"] == "township":
        n = stem(r["name"]) + "居家养老服务照料中心"; ents.append(("facility", n, n, 0, {n}, r))
    elif r["level"] == "village":
        if ci % 5 == 0:
            n = stem(r["name"]) + "老年助餐点"; ents.append(("facility", n, n, 0, {n}, r))
        ci += 1
LANDMARKS = ["西湖文化广场", "武林广场", "杭州东站", "黄龙体育中心", "杭州国际博览中心",
    "浙江大学紫金港校区", "灵隐寺", "六和塔", "雷峰塔", "西溪国家湿地公园"]
for n in LANDMARKS:
    ents.append(("landmark", n, n, 0, {n}, None))
ALIASES = {"下城区": "330105000000", "江干区": "330102000000", "半山区": "330105000000",
    "萧山县": "330109000000", "萧山市": "330109000000", "余杭县": "330110000000",
    "余杭市": "330110000000", "富阳县": "330111000000", "富阳市": "330111000000",
    "临安县": "330112000000", "临安市": "330112000000", "建德县": "330182000000",
    "钱塘新区": "330114000000", "大江东": "330114000000", "大江东产业集聚区": "330114000000",
    "杭州经济技术开发区": "330114000000", "下沙经济技术开发区": "330114000000"}
all_forms = [f for e in ents for f in e[4]] + [f for a in ALIASES for f in [a, *short_forms(a)]]
name_count = {}
for e in ents:
    name_count[e[2]] = name_count.get(e[2], 0) + 1

out = []
def emit(style, q, e):
    out.append(f"{style}\t{q}\t{e[0]}\t{e[1]}")

def pick(lst, n):
    lst = list(lst); rng.shuffle(lst); return lst[:n]

by_rank = lambda k, rank: [e for e in ents if e[0] == k and (k != "admin" or e[3] == rank)]
admins = {rk: by_rank("admin", rk) for rk in (1, 2, 3, 4)}

# chinese_exact: names nobody else uses as a name or short form
def exact_ok(e):
    return sum(1 for f in all_forms if f == e[2]) == 1
quota = [(admins[4], 1), (admins[3], 13), (admins[2], 14), (admins[1], 14),
         (by_rank("road", 0), 5), (by_rank("facility", 0), 4), (by_rank("landmark", 0), 3)]
for pool, n in quota:
    for e in pick([e for e in pool if exact_ok(e)], n):
        emit("chinese_exact", e[2], e)

# chinese_prefix: a proper prefix (≥ 2 chars, not a whole form of anyone) of exactly one entity
def prefix_ok(e, p):
    owners = {id(x) for x in ents for f in x[4] if f.startswith(p)}
    return owners == {id(e)} and p not in all_forms
for pool, n in [(admins[3], 6), (admins[2], 10), (admins[1], 10), (by_rank("road", 0), 3),
                (by_rank("facility", 0), 3)]:
    got = 0
    for e in pick(pool, len(pool)):
        if got == n: break
        name = e[2]
        for k in range(len(name) - 1, 1, -1):
            p = name[:k]
            if prefix_ok(e, p):
                emit("chinese_prefix", p, e); got += 1; break

# chinese_partial: an inner substring only one entity's name contains, that starts no form
def partial_ok(e, s):
    holders = {id(x) for x in ents if s in x[2]}
    return holders == {id(e)} and not any(f.startswith(s) for f in all_forms)
for pool, n in [(admins[2], 8), (admins[1], 10), (by_rank("road", 0), 3), (by_rank("facility", 0), 4)]:
    got = 0
    for e in pick(pool, len(pool)):
        if got == n: break
        name = e[2]
        for m in (3, 2):
            done = False
            for s0 in range(1, len(name) - m + 1):
                s = name[s0:s0 + m]
                if partial_ok(e, s):
                    emit("chinese_partial", s, e); got += 1; done = True; break
            if done: break

# short_form: a stripped form; the owner of highest rank must be unique, no other kind named so
def short_owner(s):
    owners = [x for x in ents if s in x[4]]
    if any(x[0] != "admin" for x in owners) or s in ALIASES: return None
    top = max(x[3] for x in owners)
    best = [x for x in owners if x[3] == top]
    return best[0] if len(best) == 1 else None
for pool, n in [(admins[4], 1), (admins[3], 12), (admins[2], 12), (admins[1], 10)]:
    got = 0
    for e in pick(pool, len(pool)):
        if got == n: break
        forms = [f for f in short_forms(e[2]) if len(f) >= 2]
        if forms:
            f = rng.choice(forms)
            if short_owner(f) is e:
                emit("short_form", f, e); got += 1

# alias_old_name
for q, code in [("下城区", "330105000000"), ("下城", "330105000000"), ("江干区", "330102000000"),
                ("江干", "330102000000"), ("半山区", "330105000000"), ("萧山市", "330109000000"),
                ("余杭市", "330110000000"), ("富阳市", "330111000000"), ("临安市", "330112000000"),
                ("临安县", "330112000000"), ("建德县", "330182000000"), ("钱塘新区", "330114000000"),
                ("大江东", "330114000000"), ("330103000000", "330105000000"),
                ("330104000000", "330102000000"), ("330185", "330112000000"),
                ("xiachengqu", "330105000000"), ("jiangganqu", "330102000000"),
                ("杭州市下城区", "330105000000"), ("Xiacheng District", "330105000000")]:
    out.append(f"alias_old_name\t{q}\tadmin\t{code}")

# house_number_numerals
CN = "零一二三四五六七八九"
def cn(n):
    if n < 10: return CN[n]
    if n < 20: return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100: return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    h, r = divmod(n, 100)
    s = ("两" if h == 2 else CN[h]) + "百"
    if r == 0: return s
    if r < 10: return s + "零" + CN[r]
    return s + CN[r // 10] + "十" + (CN[r % 10] if r % 10 else "")
FW = str.maketrans("0123456789", "０１２３４５６７８９")
district_of = {}
codes = {r["code12"]: r for r in rows}
communities = [r for r in rows if r["level"] == "village"]
for k, road in enumerate(ROADS):
    c = communities[k * 37 % len(communities)]
    t = codes[c["parent_code12"]]; d = codes[t["parent_code12"]]
    district_of[road] = (d["name"], t["name"], c["name"])
for i, road in enumerate(pick(ROADS, 28)):
    n = rng.randint(1, 150)
    style = i % 7
    if style == 0: q = f"{road}{cn(n)}号"
    elif style == 1: q = f"{road}{str(n).translate(FW)}号"
    elif style == 2: q = f"{road} {n} 号"
    elif style == 3: q = f"{district_of[road][0]}{road}{cn(n)}号"
    elif style == 4: q = f"浙江省杭州市{district_of[road][0]}{district_of[road][1]}{road}{n}号"
    elif style == 5: q = f"{road}{n}号"
    else: q = f"杭州市{district_of[road][0]}，{road}{str(n).translate(FW)}号"
    out.append(f"house_number_numerals\t{q}\tdoorplate\t{road}{n}号")
for road, n, q in [("文三路", 12, "文三路十二号"), ("文三路", 103, "文三路一百零三号"),
                   ("延安路", 20, "延安路二十号"), ("解放路", 110, "解放路一百一十号"),
                   ("莫干山路", 12, "莫干山路１２号")]:
    out.append(f"house_number_numerals\t{q}\tdoorplate\t{road}{n}号")

# address styles (issue 12): a district or township restricting a road; numbers with
# sub-numbers (8-1号, 8之1号), building/unit/room parts, spaces, traditional characters
TRAD = str.maketrans({"区": "區", "号": "號", "县": "縣", "镇": "鎮", "乡": "鄉", "东": "東",
                      "阳": "陽", "临": "臨", "萧": "蕭", "余": "餘", "桥": "橋", "钱": "錢",
                      "滨": "濱", "庐": "廬", "兴": "興", "华": "華", "宁": "寧", "丰": "豐"})
for i, road in enumerate(pick(ROADS, 24)):
    d, t, _ = district_of[road]
    style = i % 4
    if style == 0: q = f"{d}{road}"
    elif style == 1: q = f"{t}{road}"
    elif style == 2: q = f"{d} {t} {road}"
    else: q = f"杭州市{d}{road}".translate(TRAD)
    out.append(f"address_road_in_unit\t{q}\troad\t{road}")
for i, road in enumerate(pick(ROADS, 24)):
    d, t, _ = district_of[road]
    n = rng.randint(1, 150)
    style = i % 6
    if style == 0: q = f"{d}{road}{n}-1号"
    elif style == 1: q = f"{t}{road}{cn(n)}之一号"
    elif style == 2: q = f"{d}{road}{n}号3幢2单元501室"
    elif style == 3: q = f"浙江省 杭州市 {d} {road} {n}号"
    elif style == 4: q = f"{d}{t}{road}{str(n).translate(FW)}号".translate(TRAD)
    else: q = f"{t}{road}{n}号1栋"
    out.append(f"address_components\t{q}\tdoorplate\t{road}{n}号")

# hand-written rows: admin names resolve to codes
by_name = {}
for r in rows:
    by_name.setdefault(r["name"], []).append(r["code12"])
for line in open(os.path.join(HERE, "handwritten.tsv"), encoding="utf-8"):
    if line.startswith("#") or not line.strip(): continue
    style, q, kind, exp = line.rstrip("\n").split("\t")
    if kind == "admin" and not exp.isdigit():
        c = by_name.get(exp, [])
        if len(c) != 1: sys.exit(f"ambiguous or unknown admin name {exp}: {c}")
        exp = c[0]
    out.append(f"{style}\t{q}\t{kind}\t{exp}")

print("# style\tquery\tkind\texpected (admin: 12-digit code; others: name) — generated by make_quality.py")
print("\n".join(out))
