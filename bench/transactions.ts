// Exactly-once benchmark: ferrokafka's client and kafkajs side by side in one run, against
// ferrokafka's broker in its own process and against Apache Kafka, with 100-byte messages:
// (a) transactional: one transaction per 1,000 messages (transaction(), send, commit);
// (b) idempotent sendBatch of 1,000 messages, awaited one after another;
// (c) idempotent: 1,000 concurrent single-message sends at a time.
// usage: npm run bench:transactions [-- --messages N]   (needs `bash peers/install.sh` first)
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka } from 'ferrokafka'
import { Target, runBenchmark } from './targets'

const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 100_000
const BATCH = 1000
const VALUE = Buffer.alloc(100, 'x')

type ClientName = 'ferrokafka' | 'kafkajs'
const CLIENTS: Array<[ClientName, typeof Kafka | typeof KafkaJS]> = [['ferrokafka', Kafka], ['kafkajs', KafkaJS]]

const messages = (count: number) => Array.from({ length: count }, () => ({ value: VALUE }))
const rate = (count: number, started: number): number => count / ((performance.now() - started) / 1000)

async function transactional(make: typeof Kafka | typeof KafkaJS, bootstrap: string, topic: string): Promise<number> {
  const producer = new make({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
    .producer({ transactionalId: `bench-${topic}`, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const warm = await producer.transaction()
  await warm.send({ topic, messages: messages(1) })
  await warm.commit()
  const started = performance.now()
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    const transaction = await producer.transaction()
    await transaction.send({ topic, messages: messages(BATCH) })
    await transaction.commit()
  }
  const result = rate(MESSAGES, started)
  await producer.disconnect()
  return result
}

async function idempotent(make: typeof Kafka | typeof KafkaJS, bootstrap: string, topic: string): Promise<[number, number]> {
  const producer = new make({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({ idempotent: true })
  await producer.connect()
  await producer.send({ topic, messages: messages(1) })
  let started = performance.now()
  for (let sent = 0; sent < MESSAGES; sent += BATCH) await producer.send({ topic, messages: messages(BATCH) })
  const batches = rate(MESSAGES, started)
  const concurrent = MESSAGES / 4
  started = performance.now()
  for (let sent = 0; sent < concurrent; sent += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, () => producer.send({ topic, messages: [{ value: VALUE }] })))
  }
  const singles = rate(concurrent, started)
  await producer.disconnect()
  return [batches, singles]
}

async function createTopics(bootstrap: string, topics: string[]): Promise<void> {
  const admin = new KafkaJS({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true })
  await admin.disconnect()
}

/** A measured rate, or why there is none. */
type Measured = number | string

async function measured<T>(run: () => Promise<T>): Promise<T | string> {
  try {
    return await run()
  } catch (error) {
    return `failed: ${(error as Error).message}`
  }
}

interface Row { target: string, client: ClientName, transactional: Measured, batches: Measured, concurrent: Measured }

async function measure(target: Target): Promise<Row[]> {
  const rows: Row[] = []
  for (const [client, make] of CLIENTS) {
    const name = client.replace(/\W/g, '')
    const [txnTopic, idemTopic] = [`bench-txn-${name}`, `bench-idem-${name}`]
    await createTopics(target.bootstrap, [txnTopic, idemTopic])
    const txn = await measured(() => transactional(make, target.bootstrap, txnTopic))
    const idem = await measured(() => idempotent(make, target.bootstrap, idemTopic))
    const [batches, concurrent] = typeof idem === 'string' ? [idem, idem] : idem
    rows.push({ target: target.name, client, transactional: txn, batches, concurrent })
    console.error(`done: ${target.name} ${client}`)
  }
  return rows
}

const shown = (n: Measured): string => typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : n
const ratio = (n: Measured, peer: Measured): string =>
  typeof n === 'number' && typeof peer === 'number' ? `${(n / peer).toFixed(1)}x` : 'n/a'

function print(rows: Row[]): void {
  console.log(`${MESSAGES} messages per run (${MESSAGES / 4} for concurrent sends), 100-byte values, one partition, acks=-1\n`)
  console.log('| broker | client | (a) transactional msgs/s | (b) idempotent sendBatch msgs/s | (c) idempotent concurrent msgs/s | (a) vs kafkajs | (b) vs kafkajs | (c) vs kafkajs |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const peer = rows.find((r) => r.target === row.target && r.client === 'kafkajs')!
    console.log(`| ${row.target} | ${row.client} | ${shown(row.transactional)} | ${shown(row.batches)} | ${shown(row.concurrent)} | ${ratio(row.transactional, peer.transactional)} | ${ratio(row.batches, peer.batches)} | ${ratio(row.concurrent, peer.concurrent)} |`)
  }
}

runBenchmark(measure, print)
