// Storage benchmark: produce throughput of ferrokafka's broker in memory and with a log
// directory (default flush policy: the page cache), and with flush.messages=1 (an fsync before
// every acks=all answer) with group commit and with one fsync round per request
// (log.flush.group.commit.enable=false), next to Apache Kafka on the same topics when its peer is
// installed. Every broker runs in its own process; the producer is ferrokafka's client.
// usage: npm run bench:storage [-- --messages N]
import { spawn, ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Kafka, logLevel } from 'ferrokafka'
import { startApacheKafka } from './targets'

const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 300_000
const SIZE = 100
const LANES = 32
const SENDS_PER_LANE = 100
const SEQUENTIAL_SENDS = 300

interface Broker { name: string, bootstrap: string, stop: () => void }

async function serverStart(name: string, overrides: string[]): Promise<Broker> {
  const child: ChildProcess = spawn(process.execPath, [path.resolve(__dirname, '..', 'bin', 'ferrokafka.js'), 'server-start',
    '--override', 'listeners=PLAINTEXT://127.0.0.1:0', ...overrides.flatMap((o) => ['--override', o])],
  { stdio: ['ignore', 'pipe', 'ignore'] })
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /listening on (\S+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
  })
  return { name, bootstrap, stop: () => child.kill() }
}

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
}

async function createTopics(bootstrap: string): Promise<void> {
  const admin = client(bootstrap).admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      { topic: 'bulk', numPartitions: 1 },
      { topic: 'fsync', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '1' }] }
    ]
  })
  await admin.disconnect()
}

/** Messages per second from one producer sending batches of 1000, acks=all. */
async function bulk(bootstrap: string): Promise<number> {
  const producer = client(bootstrap).producer()
  await producer.connect()
  const value = Buffer.alloc(SIZE, 'x')
  const batch = Array.from({ length: 1000 }, () => ({ value }))
  const started = performance.now()
  for (let sent = 0; sent < MESSAGES; sent += batch.length) {
    await producer.send({ topic: 'bulk', acks: -1, messages: batch })
  }
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  await producer.disconnect()
  return rate
}

/** Sends per second and the median send latency of `lanes` connections each sending one
 * message at a time to the flush.messages=1 topic, acks=all. */
async function fsyncLanes(bootstrap: string, lanes: number, sends: number): Promise<{ rate: number, p50: number }> {
  const producers = Array.from({ length: lanes }, () => client(bootstrap).producer())
  await Promise.all(producers.map((p) => p.connect()))
  const latencies: number[] = []
  const started = performance.now()
  await Promise.all(producers.map(async (producer) => {
    for (let i = 0; i < sends; i++) {
      const sent = performance.now()
      await producer.send({ topic: 'fsync', acks: -1, messages: [{ value: 'x'.repeat(SIZE) }] })
      latencies.push(performance.now() - sent)
    }
  }))
  const rate = (lanes * sends) / ((performance.now() - started) / 1000)
  await Promise.all(producers.map((p) => p.disconnect()))
  latencies.sort((a, b) => a - b)
  return { rate, p50: latencies[Math.floor(latencies.length / 2)] }
}

interface Row { broker: string, bulk: number, one?: { rate: number, p50: number }, many?: { rate: number, p50: number } }

async function measure(broker: Broker, withFsync: boolean): Promise<Row> {
  try {
    await createTopics(broker.bootstrap)
    const row: Row = { broker: broker.name, bulk: await bulk(broker.bootstrap) }
    if (withFsync) {
      row.one = await fsyncLanes(broker.bootstrap, 1, SEQUENTIAL_SENDS)
      row.many = await fsyncLanes(broker.bootstrap, LANES, SENDS_PER_LANE)
    }
    return row
  } finally {
    broker.stop()
  }
}

async function main(): Promise<void> {
  const dirs: string[] = []
  const logDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-storage-'))
    dirs.push(dir)
    return dir
  }
  const rows: Row[] = []
  try {
    rows.push(await measure(await serverStart('ferrokafka, in memory', []), false))
    rows.push(await measure(await serverStart('ferrokafka, log dir, group commit', [`log.dirs=${logDir()}`]), true))
    rows.push(await measure(await serverStart('ferrokafka, log dir, fsync round per request',
      [`log.dirs=${logDir()}`, 'log.flush.group.commit.enable=false']), true))
    const cache = process.env.FERROKAFKA_PEERS_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache', 'ferrokafka-peers')
    if (existsSync(path.join(cache, 'kafka'))) {
      const kafka = startApacheKafka()
      rows.push(await measure({ name: 'Apache Kafka 4 (log dir)', bootstrap: kafka.bootstrap, stop: kafka.stop }, true))
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
  const k = (n: number) => `${Math.round(n / 1000)}k`
  const lane = (l?: { rate: number, p50: number }) => (l ? `${Math.round(l.rate)}/s, p50 ${l.p50.toFixed(2)} ms` : '-')
  console.log(`\nproduce, ${SIZE}-byte messages, acks=all, ferrokafka client; each broker in its own process\n`)
  console.log(`| broker | bulk: ${MESSAGES} msgs in batches of 1000 | flush.messages=1: 1 producer, 1 msg per send | flush.messages=1: ${LANES} producers, 1 msg per send |`)
  console.log('| --- | --- | --- | --- |')
  for (const row of rows) console.log(`| ${row.broker} | ${k(row.bulk)} msg/s | ${lane(row.one)} | ${lane(row.many)} |`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
