"""The peer of `sluice index query` for scripts/bench/search_index.sh: the same ranking in plain
Python over the entities of the same index file (read with sqlite3): exact 100, prefix 80,
contains 60, edit distance at most 2 40 (on the lower-cased UTF-8 bytes); ties by type order,
then shorter names, then names in byte order.

    python search_index_peer.py INDEX QUERY REPEATS [--json]

Prints the mean milliseconds of one query (the entities already loaded), or with --json the top
20 as [{score, type, name}].
"""
import json
import sqlite3
import sys
import time

TYPES = ["cytokine", "secreted_protein", "gene", "cell_type", "disease", "organ"]


def within_two(a: bytes, b: bytes) -> bool:
    if abs(len(a) - len(b)) > 2:
        return False
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
        if min(current) > 2:
            return False
        previous = current
    return previous[-1] <= 2


def query(entities, text, limit=20):
    q = text.strip().lower().encode()
    found = []
    for name, kind, lower in entities:
        if lower == q:
            score = 100
        elif lower.startswith(q):
            score = 80
        elif q in lower:
            score = 60
        elif within_two(lower, q):
            score = 40
        else:
            continue
        found.append((-score, TYPES.index(kind), len(lower), name.encode(), name, kind, score))
    found.sort()
    return [{"score": f[6], "type": f[5], "name": f[4]} for f in found[:limit]]


def main():
    path, text, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rows = sqlite3.connect(path).execute("SELECT name, type FROM entities ORDER BY id").fetchall()
    entities = [(name, kind, name.lower().encode()) for name, kind in rows]
    if "--json" in sys.argv:
        print(json.dumps(query(entities, text)))
        return
    started = time.perf_counter()
    for _ in range(repeats):
        query(entities, text)
    print(f"{(time.perf_counter() - started) / repeats * 1000:.3f}")


if __name__ == "__main__":
    main()
