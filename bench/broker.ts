// Broker benchmark: ferrokafka's broker, the librdkafka mock cluster and Apache Kafka side by
// side in one run — start time, ingest from a librdkafka producer, kafkajs produce and consume.
// usage: npm run bench:broker [-- --messages N]   (needs `bash peers/install.sh` first)
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { createBroker } from 'ferrokafka'
import { Target, startFerrokafka, startRdmock, startApacheKafka } from './targets'

const cache = process.env.FERROKAFKA_PEERS_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache', 'ferrokafka-peers')
const python = path.join(cache, 'venv', 'bin', 'python')
const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 200_000
const INGEST_MESSAGES = MESSAGES * 2
const SIZE = 100
const TOPICS = ['bench-ingest', 'bench-kafkajs']

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function createTopics(target: Target): Promise<void> {
  if (target.name === 'librdkafka mock') return
  const admin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: 1 })) })
  await admin.disconnect()
}

function ingest(target: Target): number {
  const result = spawnSync(python, [path.join(__dirname, 'librdkafka-produce.py'), target.bootstrap, TOPICS[0],
    String(INGEST_MESSAGES), String(SIZE)], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`librdkafka producer failed on ${target.name}: ${result.stderr}`)
  return JSON.parse(result.stdout).rate
}

async function kafkajsProduce(target: Target): Promise<number> {
  const producer = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  const value = Buffer.alloc(SIZE, 'x')
  const batch = Array.from({ length: 1000 }, () => ({ value, partition: 0 }))
  const started = performance.now()
  for (let sent = 0; sent < MESSAGES; sent += batch.length) {
    await producer.send({ topic: TOPICS[1], messages: batch })
  }
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  await producer.disconnect()
  return rate
}

/** Consumes what the topic holds (the mock keeps only its last 5 MiB per partition). */
async function kafkajsConsume(target: Target): Promise<number> {
  const kafka = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const [offsets] = await admin.fetchTopicOffsets(TOPICS[1])
  await admin.disconnect()
  const available = Number(offsets.high) - Number(offsets.low)
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytes: 10 * 1024 * 1024 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPICS[1], fromBeginning: true })
  let first = 0
  const rate = await new Promise<number>((resolve, reject) => {
    let seen = 0
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (seen === 0) first = performance.now()
        seen += batch.messages.length
        if (seen >= available) resolve(seen / ((performance.now() - first) / 1000))
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  return rate
}

async function embeddedStartTimes(): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < 101; i++) {
    const started = performance.now()
    const broker = await createBroker()
    times.push(performance.now() - started)
    await broker.close()
  }
  return times
}

async function main(): Promise<void> {
  const embedded = await embeddedStartTimes()
  const targets: Target[] = []
  try {
    targets.push(await startFerrokafka())
    targets.push(startRdmock(TOPICS.map((t) => `${t}:1`)))
    targets.push(startApacheKafka())
    const rows: string[][] = []
    for (const target of targets) {
      await createTopics(target)
      const ingestRate = ingest(target)
      const produceRate = await kafkajsProduce(target)
      const consumeRate = await kafkajsConsume(target)
      rows.push([target.name, `${target.startMs.toFixed(0)} ms`, fmt(ingestRate), fmt(produceRate), fmt(consumeRate)])
      console.error(`done: ${target.name}`)
    }
    console.log(`createBroker() in-process start: median ${median(embedded).toFixed(2)} ms, max ${Math.max(...embedded).toFixed(2)} ms over ${embedded.length} starts\n`)
    console.log(`${MESSAGES} kafkajs messages and ${INGEST_MESSAGES} librdkafka messages of ${SIZE} bytes, one partition\n`)
    console.log('| broker | process start to address | librdkafka ingest msgs/s | kafkajs produce msgs/s (sendBatch 1000) | kafkajs consume msgs/s (eachBatch) |')
    console.log('| --- | --- | --- | --- | --- |')
    for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  } finally {
    for (const target of targets) target.stop()
  }
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString('en-US')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
