#!/usr/bin/env python3
"""The benchmark's job as a plain Python script with `requests`: page through a
démarche's dossiers on a DS endpoint (100 a page, the same GraphQL document as
Pont's client) and check each one with the same rule as the bench robot and
the native job. Prints one JSON line of totals and the elapsed seconds.

Usage: job.py ENDPOINT TOKEN DEMARCHE DOCUMENT.graphql
"""

import json
import math
import sys
import time

import requests

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1
MAX_PAGES = 10_000


def fnv(h, data):
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & MASK
    return h


def siret_ok(siret):
    if len(siret) != 14 or not siret.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(siret)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def check(d):
    """Returns (ok, files, cents, rows, digest) of one dossier."""
    siret, files, cents, rows = False, 0, 0, 0
    digest = fnv(FNV_OFFSET, d["id"].encode())
    for c in d["champs"]:
        digest = fnv(digest, c["champDescriptorId"].encode())
        digest = fnv(digest, c["label"].encode())
        kind = c["__typename"]
        if kind == "SiretChamp":
            e = c.get("etablissement")
            if e is not None:
                siret |= siret_ok(e["siret"])
        elif kind == "PieceJustificativeChamp":
            files += len(c.get("files") or [])
        elif kind == "DecimalNumberChamp":
            x = c.get("decimalValue")
            if x is not None:
                cents += math.floor(x * 100.0 + 0.5)
        elif kind == "IntegerNumberChamp":
            n = c.get("integerValue")
            if n is not None:
                cents += int(n) * 100
        rows += len(c.get("rows") or [])
    return siret and files > 0, files, cents, rows, digest


def main():
    endpoint, token, demarche, document = sys.argv[1:5]
    with open(document, encoding="utf-8") as f:
        query = f.read()
    started = time.perf_counter()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    totals = {"dossiers": 0, "ok": 0, "files": 0, "cents": 0, "rows": 0, "digest_sum": 0}
    after = None
    for _ in range(MAX_PAGES):
        body = {
            "query": query,
            "operationName": "DossiersPage",
            "variables": {"demarche": int(demarche), "first": 100, "after": after},
        }
        r = session.post(endpoint, json=body, timeout=60)
        r.raise_for_status()
        data = r.json()
        if data.get("errors"):
            raise SystemExit(f"DS answered errors: {data['errors']}")
        conn = data["data"]["demarche"]["dossiers"]
        for d in conn["nodes"]:
            ok, files, cents, rows, digest = check(d)
            totals["dossiers"] += 1
            totals["ok"] += 1 if ok else 0
            totals["files"] += files
            totals["cents"] += cents
            totals["rows"] += rows
            totals["digest_sum"] = (totals["digest_sum"] + digest) & MASK
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    totals["digest_sum"] = f"{totals['digest_sum']:016x}"
    totals["secs"] = time.perf_counter() - started
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
