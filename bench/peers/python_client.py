#!/usr/bin/env python3
"""Python peer of the apig bench, standard library only: C threads, each with its own
keep-alive http.client.HTTPSConnection (ssl with the emulator's CA, verification on), fetching
pages back to back and decoding each body with json.loads. Pages walk the offsets as
apig-bench's loop mode does (page k at offset k * limit, wrapping).

    APIG_AUTH_TOKEN=... python3 python_client.py --endpoint https://127.0.0.1:PORT --ca ca.pem \\
        --limit 500 --concurrency 4 --pages 2000 --warmup-pages 200

Prints one JSON line (same fields as apig-bench). bytes: bodies plus the header lines as
received, an estimate of the bytes on the wire.
"""
import argparse
import http.client
import json
import os
import resource
import ssl
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--project-id", default="73d69ae0cfcf460190522d06b60f05ad")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--warmup-pages", type=int, default=200)
    ap.add_argument("--total", type=int, default=0)
    a = ap.parse_args()

    token = os.environ.get("APIG_AUTH_TOKEN") or os.environ.get("APIG_EMULATOR_TOKEN") or "emulator-token"
    u = urllib.parse.urlsplit(a.endpoint)
    ctx = ssl.create_default_context(cafile=a.ca)  # verification and host name check on
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    base = f"/v2/{a.project_id}/apigw/instances"

    def connect():
        return http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx)

    def get(conn, offset, limit):
        conn.request("GET", f"{base}?offset={offset}&limit={limit}", headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status} at offset {offset}")
        header_bytes = 17 + 2 + sum(len(k) + len(v) + 4 for k, v in r.getheaders())
        return json.loads(body), len(body) + header_bytes

    total = a.total
    conns = [connect() for _ in range(a.concurrency)]
    if not total:
        total = get(conns[0], 0, 1)[0]["total"]
    pages_in_list = max(1, total // a.limit)

    def phase(first_page, count, latencies):
        lock = threading.Lock()
        state = {"next": 0, "pages": 0, "instances": 0, "bytes": 0, "error": None}

        def loop(conn):
            pages = instances = nbytes = 0
            lat = []
            try:
                while True:
                    with lock:
                        if state["next"] >= count or state["error"]:
                            break
                        k = first_page + state["next"]
                        state["next"] += 1
                    t0 = time.perf_counter()
                    page, n = get(conn, (k % pages_in_list) * a.limit, a.limit)
                    lat.append((time.perf_counter() - t0) * 1000)
                    pages += 1
                    instances += len(page["instances"])
                    nbytes += n
            except Exception as e:  # noqa: BLE001 - reported below
                state["error"] = e
            with lock:
                state["pages"] += pages
                state["instances"] += instances
                state["bytes"] += nbytes
                if latencies is not None:
                    latencies.extend(lat)

        threads = [threading.Thread(target=loop, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if state["error"]:
            raise state["error"]
        return state

    if a.warmup_pages > 0:
        phase(0, a.warmup_pages, None)
    latencies = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    s = phase(a.warmup_pages % pages_in_list, a.pages, latencies)
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))] if latencies else 0

    print(json.dumps({
        "tool": "python", "python": sys.version.split()[0], "limit": a.limit,
        "concurrency": a.concurrency, "pages": s["pages"], "instances": s["instances"],
        "bytes": s["bytes"], "seconds": seconds, "pages_per_s": s["pages"] / seconds,
        "instances_per_s": s["instances"] / seconds, "mb_per_s": s["bytes"] / 1e6 / seconds,
        "p50_ms": pct(0.5), "p99_ms": pct(0.99), "cpu_s": cpu,
        "cpu_s_per_1000_pages": cpu * 1000 / max(1, s["pages"]),
        "peak_rss_kib": r1.ru_maxrss,
    }), flush=True)


if __name__ == "__main__":
    main()
