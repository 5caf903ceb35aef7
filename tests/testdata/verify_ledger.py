#!/usr/bin/env python3
"""An independent verifier of a Watchtower ledger, written from docs/ledger.md alone.

Usage: verify_ledger.py STATE_DIR
Prints JSON: {"ok": bool, "entries": n, "root": hex, "error": "..."}.
"""
import glob, hashlib, json, os, sys

def sha(b): return hashlib.sha256(b).digest()

def mth(leaves):  # RFC 6962 Merkle tree hash over leaf hashes
    if not leaves: return sha(b"")
    if len(leaves) == 1: return leaves[0]
    k = 1
    while k * 2 < len(leaves): k *= 2
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))

def main(state):
    prev, seq, leaves = "0" * 64, 0, []
    segments = sorted(glob.glob(os.path.join(state, "ledger-*.jsonl")))
    for path in segments:
        data = open(path, "rb").read()
        if data and not data.endswith(b"\n"): return {"ok": False, "error": f"torn line in {path}"}
        for raw in data.split(b"\n")[:-1]:
            line = raw.decode("utf-8")
            i = line.rindex(',"hash":"')
            body, stored = line[:i] + "}", line[i + 9:-2]
            entry = json.loads(line)
            seq += 1
            if entry["seq"] != seq: return {"ok": False, "error": f"seq {entry['seq']} where {seq} expected"}
            if hashlib.sha256(body.encode("utf-8")).hexdigest() != stored or entry["hash"] != stored:
                return {"ok": False, "error": f"hash mismatch at seq {seq}"}
            if entry["prev_hash"] != prev: return {"ok": False, "error": f"broken link at seq {seq}"}
            prev = stored
            leaves.append(sha(b"\x00" + bytes.fromhex(stored)))
    return {"ok": True, "entries": seq, "last_hash": prev, "root": mth(leaves).hex()}

print(json.dumps(main(sys.argv[1])))
