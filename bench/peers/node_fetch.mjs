// Node.js peer of the apig bench: C concurrent loops, each fetching pages back to back with the
// built-in fetch (undici; keep-alive by default) and decoding each body with JSON.parse.
// Pages walk the offsets as apig-bench's loop mode does (page k at offset k * limit, wrapping).
//
//   APIG_AUTH_TOKEN=... NODE_EXTRA_CA_CERTS=ca.pem node node_fetch.mjs \
//       --endpoint https://127.0.0.1:PORT --limit 500 --concurrency 4 --pages 2000 \
//       --warmup-pages 200 [--total 1000000] [--project-id ID]
//
// TLS verification stays on: the emulator's CA is trusted through NODE_EXTRA_CA_CERTS.
// Prints one JSON line (same fields as apig-bench). bytes: bodies plus the header lines as
// received (status line and fields), an estimate of the bytes on the wire.

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []));
const endpoint = args.endpoint;
const project = args['project-id'] ?? '73d69ae0cfcf460190522d06b60f05ad';
const limit = Number(args.limit ?? 500);
const concurrency = Number(args.concurrency ?? 4);
const pages = Number(args.pages ?? 2000);
const warmupPages = Number(args['warmup-pages'] ?? 200);
let total = args.total ? Number(args.total) : 0;
const token = process.env.APIG_AUTH_TOKEN || process.env.APIG_EMULATOR_TOKEN || 'emulator-token';
if (!endpoint) {
  console.error('node_fetch.mjs: --endpoint is required');
  process.exit(2);
}

const headers = { 'X-Auth-Token': token, Accept: 'application/json' };
const url = (offset, lim) => `${endpoint}/v2/${project}/apigw/instances?offset=${offset}&limit=${lim}`;

async function fetchPage(offset, lim) {
  const res = await fetch(url(offset, lim), { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} at offset ${offset}`);
  const page = JSON.parse(text);
  let headerBytes = 17 + 2;  // "HTTP/1.1 200 OK\r\n" and the blank line
  for (const [k, v] of res.headers) headerBytes += k.length + v.length + 4;
  return { page, bytes: Buffer.byteLength(text) + headerBytes };
}

// C loops sharing a page counter; returns what they counted.
async function phase(firstPage, count, latencies) {
  const pagesInList = Math.max(1, Math.floor(total / limit));
  let next = 0;
  const t = { pages: 0, instances: 0, bytes: 0 };
  async function loop() {
    while (next < count) {
      const k = firstPage + next++;
      const t0 = process.hrtime.bigint();
      const { page, bytes } = await fetchPage((k % pagesInList) * limit, limit);
      if (latencies) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t.pages += 1;
      t.instances += page.instances.length;
      t.bytes += bytes;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return t;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
}

if (!total) total = (await fetchPage(0, 1)).page.total;
if (warmupPages > 0) await phase(0, warmupPages, null);
const pagesInList = Math.max(1, Math.floor(total / limit));
const latencies = [];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const t = await phase(warmupPages % pagesInList, pages, latencies);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  tool: 'node', node: process.version, limit, concurrency,
  pages: t.pages, instances: t.instances, bytes: t.bytes, seconds,
  pages_per_s: t.pages / seconds, instances_per_s: t.instances / seconds,
  mb_per_s: t.bytes / 1e6 / seconds,
  p50_ms: percentile(latencies, 0.5), p99_ms: percentile(latencies, 0.99),
  cpu_s: cpuS, cpu_s_per_1000_pages: cpuS * 1000 / t.pages,
  peak_rss_kib: process.resourceUsage().maxRSS,
}));
