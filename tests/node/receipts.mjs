// Delivery receipts read the way a downstream team would (kafkajs + protobufjs over the project's
// .proto files): joins a group on the real broker with read_committed, reads the deliveries topic
// from the beginning until `--expect N` records arrived or nothing came for --quiet-ms, and prints
// one line per sink and state with the raw count (records read) and the distinct count (receipt
// ids), then a `total` line. Also checks each record's key (its article id) and headers.
//
// Usage: node tests/node/receipts.mjs --bootstrap HOST:PORT --topic T [--group G] [--expect N]
//        [--quiet-ms N] [--timeout-ms N]
// Output lines: `<sink> <state> raw=<n> distinct=<n>`; exit 1 with `receipts: FAIL ...` lines
// when a record fails a check.
import { Kafka, logLevel } from 'kafkajs';
import protobuf from 'protobufjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
const bootstrap = args.bootstrap ?? process.env.SYN_TEST_BOOTSTRAP;
const topic = args.topic;
const group = args.group ?? `node-receipts-${process.pid}`;
const expect = Number(args.expect ?? 0);
const quietMs = Number(args['quiet-ms'] ?? 5000);
const timeoutMs = Number(args['timeout-ms'] ?? 60000);
if (!bootstrap || !topic) {
  console.error('receipts: --bootstrap (or SYN_TEST_BOOTSTRAP) and --topic are required');
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const protoRoot = path.resolve(here, '../../proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) =>
  target.startsWith('google/protobuf/') ? target : path.join(protoRoot, target);
await root.load(['syndication/v1/delivery.proto'], { keepCase: true });
const Receipt = root.lookupType('syndication.v1.DeliveryReceipt');

const kafka = new Kafka({ clientId: 'node-receipts', brokers: [bootstrap], logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId: group, readUncommitted: false });
const received = [];
const failures = [];
let last = Date.now();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
consumer.run({
  eachMessage: async ({ message }) => {
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
    const r = Receipt.toObject(Receipt.decode(message.value), { defaults: true, enums: String });
    received.push(r);
    last = Date.now();
    if (message.key?.toString() !== r.article_id) failures.push(`${r.receipt_id}: key ${message.key} is not the article id`);
    if (headers.schema !== 'syndication.v1.DeliveryReceipt') failures.push(`${r.receipt_id}: schema ${headers.schema}`);
    if (!r.receipt_id.startsWith(`${r.sink.toLowerCase()}:${r.state.toLowerCase()}:${r.article_id}:`))
      failures.push(`${r.receipt_id}: id does not name its sink, state and article`);
  },
});
const started = Date.now();
while (Date.now() - started < timeoutMs) {
  if (expect > 0 && received.length >= expect && Date.now() - last > 500) break;
  if (expect === 0 && received.length > 0 && Date.now() - last > quietMs) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await consumer.disconnect();

const rows = new Map();
for (const r of received) {
  const k = `${r.sink.toLowerCase()} ${r.state.toLowerCase()}`;
  const row = rows.get(k) ?? { raw: 0, ids: new Set() };
  row.raw += 1;
  row.ids.add(r.receipt_id);
  rows.set(k, row);
}
for (const [k, row] of [...rows.entries()].sort()) console.log(`${k} raw=${row.raw} distinct=${row.ids.size}`);
console.log(`total raw=${received.length} distinct=${new Set(received.map((r) => r.receipt_id)).size}`);
for (const f of failures) console.error(`receipts: FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
