// Produces Article records from a JSON file (an array of Articles in protobuf field names), the
// way the producer writes them: key = article id, headers content-type, schema, issue-id and
// language, an issue's records in one partition (keyed partitioning on the issue id is not what
// the producer uses; one partition per issue is what the consumers rely on, so it is set here).
// For tests that need records the producer cannot make yet (issue 18's photos on the feed side).
//
// Usage: node tests/node/produce_articles.mjs --bootstrap HOST:PORT --topic T --file articles.json
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import protobuf from 'protobufjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
if (!args.bootstrap || !args.topic || !args.file) {
  console.error('produce_articles: --bootstrap, --topic and --file are required');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const protoRoot = path.resolve(here, '../../proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) =>
  target.startsWith('google/protobuf/') ? target : path.join(protoRoot, target);
await root.load(['syndication/v1/article.proto'], { keepCase: true });
const Article = root.lookupType('syndication.v1.Article');

const articles = JSON.parse(fs.readFileSync(args.file, 'utf8'));
const kafka = new Kafka({ clientId: 'produce-articles', brokers: [args.bootstrap], logLevel: logLevel.WARN });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1,
                                  createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const messages = articles.map((a) => {
  const msg = Article.fromObject(a);  // enum names as in the .proto
  const err = Article.verify(msg);
  if (err) throw new Error(`article ${a.id}: ${err}`);
  return {
    key: a.id,
    value: Buffer.from(Article.encode(msg).finish()),
    partition: Number(args.partition ?? 0),
    headers: { 'content-type': 'application/x-protobuf', schema: 'syndication.v1.Article',
               'issue-id': a.issue_id, language: a.language },
  };
});
await producer.send({ topic: args.topic, acks: -1, messages });
await producer.disconnect();
console.log(`produced ${messages.length} articles to ${args.topic}`);
