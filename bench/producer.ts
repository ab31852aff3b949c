// Producer benchmark: ferrokafka's producer, kafkajs and @platformatic/kafka side by side in one
// run, against ferrokafka's broker in its own process and against Apache Kafka, with 100-byte
// and 1 KB messages: (a) sendBatch of 1,000 messages, (b) 1,000 concurrent single-message sends,
// (c) sequential awaited single sends (p50/p99 latency). The clients take turns in every scenario,
// (c) first, before (a) and (b) load the broker. Every send waits for acks=-1.
// usage: npm run bench:producer [-- --messages N]   (needs `bash peers/install.sh` first)
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka } from 'ferrokafka'
import { Target, collectGarbage, runBenchmark } from './targets'

const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 200_000
const BATCH = 1000
const SEQUENTIAL = 2000
const SIZES = [100, 1024]
const TURNS = 5

/** What each client offers the scenarios: send a batch, send one message, close. */
interface Client {
  sendBatch: (topic: string, values: Buffer[]) => Promise<unknown>
  sendOne: (topic: string, value: Buffer) => Promise<unknown>
  close: () => Promise<void>
}

type ClientName = 'ferrokafka' | 'kafkajs' | '@platformatic/kafka'
const CLIENTS: ClientName[] = ['ferrokafka', 'kafkajs', '@platformatic/kafka']

async function kafkajsLike(make: typeof Kafka | typeof KafkaJS, bootstrap: string): Promise<Client> {
  const producer = new make({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  return {
    sendBatch: (topic, values) => producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) }),
    sendOne: (topic, value) => producer.send({ topic, acks: -1, messages: [{ value }] }),
    close: () => producer.disconnect()
  }
}

async function platformatic(bootstrap: string): Promise<Client> {
  const { Producer } = await import('@platformatic/kafka')
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], idempotent: false, acks: -1 })
  return {
    sendBatch: (topic, values) => producer.send({ messages: values.map((value) => ({ topic, value })) }),
    sendOne: (topic, value) => producer.send({ messages: [{ topic, value }] }),
    close: () => producer.close()
  }
}

function connect(name: ClientName, bootstrap: string): Promise<Client> {
  switch (name) {
    case 'ferrokafka': return kafkajsLike(Kafka, bootstrap)
    case 'kafkajs': return kafkajsLike(KafkaJS, bootstrap)
    case '@platformatic/kafka': return platformatic(bootstrap)
  }
}

/** (a): `count` messages in awaited sendBatch calls of `BATCH`. */
async function sendBatches(client: Client, topic: string, value: Buffer, count: number): Promise<void> {
  const values = Array.from({ length: BATCH }, () => value)
  for (let sent = 0; sent < count; sent += BATCH) await client.sendBatch(topic, values)
}

/** (b): `count` messages in rounds of `BATCH` single-message sends started at once. */
async function concurrentSends(client: Client, topic: string, value: Buffer, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, () => client.sendOne(topic, value)))
  }
}

/**
 * Runs `scenario` for every client in `TURNS` turns of `total / TURNS` messages each, so that
 * what changes in the broker during a run (a JVM's JIT and GC, its log growing) falls on every
 * client alike; returns each client's messages/s over all its turns.
 */
async function inTurns(clients: Client[], topics: string[], value: Buffer, total: number,
  scenario: (client: Client, topic: string, value: Buffer, count: number) => Promise<void>): Promise<number[]> {
  const seconds = clients.map(() => 0)
  for (let turn = 0; turn < TURNS; turn++) {
    for (const [i, client] of clients.entries()) {
      collectGarbage()
      const started = performance.now()
      await scenario(client, topics[i], value, total / TURNS)
      seconds[i] += (performance.now() - started) / 1000
    }
  }
  return seconds.map((taken) => total / taken)
}

/**
 * (c) for every client: sequential awaited sends, taken in turns of `SEQUENTIAL / 10` per client
 * so that each sees the broker in the same state (a JVM's GC and JIT, what earlier runs left).
 */
async function sequentialLatencies(clients: Client[], topics: string[], value: Buffer): Promise<Array<[number, number]>> {
  const times: number[][] = clients.map(() => [])
  for (let turn = 0; turn < 10; turn++) {
    for (const [i, client] of clients.entries()) {
      for (let sent = 0; sent < SEQUENTIAL / 10; sent++) {
        const started = performance.now()
        await client.sendOne(topics[i], value)
        times[i].push(performance.now() - started)
      }
    }
  }
  return times.map((own) => {
    own.sort((a, b) => a - b)
    return [own[Math.floor(own.length * 0.5)], own[Math.floor(own.length * 0.99)]]
  })
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new KafkaJS({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()
}

interface Row { target: string, size: number, client: ClientName, batch: number, concurrent: number, p50: number, p99: number }

async function measure(target: Target): Promise<Row[]> {
  const rows: Row[] = []
  for (const size of SIZES) {
    const value = Buffer.alloc(size, 'x')
    const topics = CLIENTS.map((name) => `bench-${size}-${name.replace(/\W/g, '')}`)
    for (const topic of topics) await createTopic(target.bootstrap, topic)
    const clients = await Promise.all(CLIENTS.map((name) => connect(name, target.bootstrap)))
    for (const [i, client] of clients.entries()) await client.sendBatch(topics[i], [value])
    const latencies = await sequentialLatencies(clients, topics, value)
    const batches = await inTurns(clients, topics, value, MESSAGES, sendBatches)
    const concurrent = await inTurns(clients, topics, value, MESSAGES / 4, concurrentSends)
    for (const [i, client] of clients.entries()) {
      await client.close()
      const [p50, p99] = latencies[i]
      rows.push({ target: target.name, size, client: CLIENTS[i], batch: batches[i], concurrent: concurrent[i], p50, p99 })
    }
    console.error(`done: ${target.name} ${size} B`)
  }
  return rows
}

const rate = (n: number): string => Math.round(n).toLocaleString('en-US')
const ms = (n: number): string => n.toFixed(2)

function print(rows: Row[]): void {
  console.log(`${MESSAGES} messages per client in sendBatch runs, ${MESSAGES / 4} in concurrent runs, each in ${TURNS} turns taken by the clients in order; ${SEQUENTIAL} sequential sends; one partition, acks=-1\n`)
  console.log('| broker | size | client | (a) sendBatch msgs/s | (b) concurrent msgs/s | (c) p50 ms | (c) p99 ms | (a) vs kafkajs | (b) vs kafkajs |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const peer = rows.find((r) => r.target === row.target && r.size === row.size && r.client === 'kafkajs')!
    console.log(`| ${row.target} | ${row.size} B | ${row.client} | ${rate(row.batch)} | ${rate(row.concurrent)} | ${ms(row.p50)} | ${ms(row.p99)} | ${(row.batch / peer.batch).toFixed(1)}x | ${(row.concurrent / peer.concurrent).toFixed(1)}x |`)
  }
}

runBenchmark(measure, print)
