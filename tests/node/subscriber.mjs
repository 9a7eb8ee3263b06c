// A downstream subscriber written the way another team would write it: Node.js, kafkajs and
// protobufjs, loading the project's .proto files (no hand-copied schema). It joins a consumer
// group on the real broker with read_committed, reads the fixture issue's articles and checks
// ids, headlines, order and headers against values written by hand from the printed page.
//
// Usage: node tests/node/subscriber.mjs --bootstrap HOST:PORT --topic T --group G [--timeout-ms N]
// Exit 0 when every check passes, 1 with one line per failed check otherwise.
import { Kafka, logLevel } from 'kafkajs';
import protobuf from 'protobufjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
const bootstrap = args.bootstrap ?? process.env.SYN_TEST_BOOTSTRAP;
const topic = args.topic ?? 'news.articles.v1';
const group = args.group ?? `node-subscriber-${process.pid}`;
const timeoutMs = Number(args['timeout-ms'] ?? 60000);
if (!bootstrap) {
  console.error('subscriber: --bootstrap or SYN_TEST_BOOTSTRAP is required');
  process.exit(2);
}

// Expected values, read off the printed page by hand (changji-daily-2024-01-30-p1.txt).
const expected = [
  { id: 'cjrb-20240130-01-01', headline: '昌吉州:实施"典范行动"打造高质量发展先行区' },
  { id: 'cjrb-20240130-01-02', headline: '中国环境科学研究院 昌吉州生态环境科创中心揭牌' },
  { id: 'cjrb-20240130-01-03', headline: '我州评出2023年度安全管理标准化示范班组' },
  { id: 'cjrb-20240130-01-04', headline: '天山面粉:做好小麦精深加工转化 生产新疆绿色面粉' },
  { id: 'cjrb-20240130-01-05', headline: '嘉峪关市文旅宣传推介会在昌举办' },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const protoRoot = path.resolve(here, '../../proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) =>
  target.startsWith('google/protobuf/') ? target : path.join(protoRoot, target);
await root.load(['syndication/v1/article.proto'], { keepCase: true });
const Article = root.lookupType('syndication.v1.Article');

const kafka = new Kafka({ clientId: 'node-subscriber', brokers: [bootstrap], logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId: group, readUncommitted: false });
const received = [];
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const done = new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
      const article = Article.toObject(Article.decode(message.value), { defaults: true });
      received.push({ key: message.key?.toString(), partition, offset: Number(message.offset), headers, article });
      if (received.length >= expected.length) resolve();
    },
  });
});
const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs));
await Promise.race([done, timer]);
await consumer.disconnect();

check(received.length === expected.length, `expected ${expected.length} articles, got ${received.length}`);
const partitions = new Set(received.map((r) => r.partition));
check(partitions.size === 1, `an issue's articles must share one partition, got ${[...partitions].join(',')}`);
received.sort((a, b) => a.offset - b.offset);
expected.forEach((want, i) => {
  const got = received[i];
  if (!got) return;
  check(got.key === want.id, `record ${i}: key ${got.key}, expected ${want.id}`);
  check(got.article.id === want.id, `record ${i}: id ${got.article.id}, expected ${want.id}`);
  check(got.article.headline === want.headline, `record ${i}: headline ${got.article.headline}, expected ${want.headline}`);
  check(got.article.sequence === i + 1, `record ${i}: sequence ${got.article.sequence}, expected ${i + 1}`);
  check(got.article.issue_id === 'cjrb-20240130', `record ${i}: issue_id ${got.article.issue_id}`);
  check(got.article.issue_article_count === expected.length,
    `record ${i}: issue_article_count ${got.article.issue_article_count}, expected ${expected.length}`);
  check(/^[0-9a-f]{64}$/.test(got.article.content_sha256), `record ${i}: content_sha256 ${got.article.content_sha256}`);
  check(got.headers['content-type'] === 'application/x-protobuf', `record ${i}: content-type ${got.headers['content-type']}`);
  check(got.headers.schema === 'syndication.v1.Article', `record ${i}: schema ${got.headers.schema}`);
  check(got.headers['issue-id'] === 'cjrb-20240130', `record ${i}: issue-id ${got.headers['issue-id']}`);
  check(got.headers.language === 'zh-Hans', `record ${i}: language ${got.headers.language}`);
});

for (const f of failures) console.error(`subscriber: FAIL ${f}`);
console.log(`subscriber: expected ${expected.length}, got ${received.length}; ${failures.length} failed checks`);
process.exit(failures.length ? 1 : 0);
