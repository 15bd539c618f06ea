#!/usr/bin/env python3
"""curl peer of the apig bench: ONE curl process fetching the same pages as apig-bench's loop
mode (page k at offset k * limit, wrapping) with `--parallel --parallel-max C` over HTTP/1.1
keep-alive connections, bodies to /dev/null (curl does not parse them), TLS verified with
--cacert. The config, with the token, goes to curl on its standard input (never in argv).

    APIG_AUTH_TOKEN=... python3 curl_parallel.py --endpoint https://127.0.0.1:PORT --ca ca.pem \\
        --limit 500 --concurrency 4 --pages 2000 --warmup-pages 200 --total 1000000

The warm-up is a separate, earlier curl process. Prints one JSON line (same fields as
apig-bench); latency is curl's time_total per transfer; CPU and peak RSS are the measured curl
process's own (wait4), start-up included.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run_curl(a, token, first_page, count, pages_in_list):
    lines = [
        "silent", "show-error", "http1.1", "parallel", f"parallel-max = {a.concurrency}",
        f'cacert = "{a.ca}"',
        f'header = "X-Auth-Token: {token}"',
        'header = "Accept: application/json"',
        'write-out = "%{http_code} %{time_total} %{size_download} %{size_header}\\n"',
    ]
    base = f"{a.endpoint}/v2/{a.project_id}/apigw/instances"
    for k in range(first_page, first_page + count):
        lines.append(f'url = "{base}?offset={(k % pages_in_list) * a.limit}&limit={a.limit}"')
        lines.append('output = "/dev/null"')
    config = ("\n".join(lines) + "\n").encode()
    t0 = time.perf_counter()
    p = subprocess.Popen([a.curl, "--config", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Write the config, then read everything; curl starts on it once stdin is closed.
    out, err = p.communicate(config)
    seconds = time.perf_counter() - t0
    # communicate() has reaped the child; its resource use is in RUSAGE_CHILDREN deltas,
    # taken by the caller around this call.
    if p.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"curl failed with exit code {p.returncode}")
    return out.decode().split("\n"), seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--project-id", default="73d69ae0cfcf460190522d06b60f05ad")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--warmup-pages", type=int, default=200)
    ap.add_argument("--total", type=int, default=1000000)
    ap.add_argument("--curl", default="curl")
    a = ap.parse_args()
    token = os.environ.get("APIG_AUTH_TOKEN") or os.environ.get("APIG_EMULATOR_TOKEN") or "emulator-token"
    pages_in_list = max(1, a.total // a.limit)

    if a.warmup_pages > 0:
        run_curl(a, token, 0, a.warmup_pages, pages_in_list)
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines, seconds = run_curl(a, token, a.warmup_pages % pages_in_list, a.pages, pages_in_list)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pages = nbytes = 0
    latencies = []
    for line in lines:
        if not line.strip():
            continue
        code, t, size, hsize = line.split()
        if code != "200":
            raise SystemExit(f"curl: HTTP {code}")
        pages += 1
        nbytes += int(size) + int(hsize)
        latencies.append(float(t) * 1000)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))] if latencies else 0

    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    version = subprocess.run([a.curl, "--version"], capture_output=True, text=True).stdout.split()[1]
    print(json.dumps({
        "tool": "curl", "curl": version, "limit": a.limit, "concurrency": a.concurrency,
        "pages": pages, "instances": pages * a.limit, "bytes": nbytes, "seconds": seconds,
        "pages_per_s": pages / seconds, "instances_per_s": pages * a.limit / seconds,
        "mb_per_s": nbytes / 1e6 / seconds, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
        "cpu_s": cpu, "cpu_s_per_1000_pages": cpu * 1000 / max(1, pages),
        "peak_rss_kib": r1.ru_maxrss,
    }), flush=True)


if __name__ == "__main__":
    main()
