// Consumer benchmark: ferrokafka's consumer, kafkajs and @platformatic/kafka side by side in one
// run, against ferrokafka's broker in its own process and against Apache Kafka. A topic of 100-byte
// messages is filled first; each client then reads all of it in a fresh group with a no-op
// handler: (a) eachBatch, (b) eachMessage (@platformatic/kafka: its message stream), timed from
// the first message to the last. (c) produce -> eachMessage latency: one message at a time, each
// sent only after the previous one reached the handler (p50/p99). The clients take turns in every
// scenario, each turn a whole read (or a share of the latency samples) in a fresh group, so that
// what changes on the machine and in the broker during a run falls on every client alike.
// usage: npm run bench:consumer [-- --messages N]   (needs `bash peers/install.sh` first)
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka } from 'ferrokafka'
import { Target, collectGarbage, runBenchmark } from './targets'

const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 1_000_000
const PARTITIONS = 4
const SIZE = 100
const LATENCY_SAMPLES = 1000
const TURNS = 4

type ClientName = 'ferrokafka' | 'kafkajs' | '@platformatic/kafka'
const CLIENTS: ClientName[] = ['ferrokafka', 'kafkajs', '@platformatic/kafka']

/**
 * Reads `total` messages of `topic` in group `groupId` and reports the seconds from the first
 * arrival to the last; `latency` samples `samples` round trips.
 */
interface Reader {
  eachBatch?: (topic: string, groupId: string, total: number) => Promise<number>
  eachMessage: (topic: string, groupId: string, total: number) => Promise<number>
  latency: (topic: string, groupId: string, samples: number) => Promise<number[]>
}

/** Counts arrivals; resolves with the seconds between the first and the `total`-th. */
class Counter {
  private seen = 0
  private first = 0
  readonly done: Promise<number>
  private finish!: (rate: number) => void

  constructor(private readonly total: number) {
    this.done = new Promise((resolve) => { this.finish = resolve })
  }

  add(count: number): void {
    if (this.seen === 0) this.first = performance.now()
    this.seen += count
    if (this.seen >= this.total && count > 0) {
      this.finish((performance.now() - this.first) / 1000)
    }
  }
}

function kafkajsLike(make: typeof Kafka | typeof KafkaJS, bootstrap: string): Reader {
  const kafka = new make({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consume = async (topic: string, groupId: string, run: (counter: Counter) => object, total: number): Promise<number> => {
    const consumer = kafka.consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    collectGarbage()
    const counter = new Counter(total)
    await consumer.run(run(counter))
    const seconds = await counter.done
    await consumer.disconnect()
    return seconds
  }
  return {
    eachBatch: (topic, groupId, total) => consume(topic, groupId, (counter) => ({
      eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => { counter.add(batch.messages.length) }
    }), total),
    eachMessage: (topic, groupId, total) => consume(topic, groupId, (counter) => ({
      eachMessage: async () => { counter.add(1) }
    }), total),
    latency: async (topic, groupId, samples) => {
      const producer = kafka.producer()
      await producer.connect()
      const consumer = kafka.consumer({ groupId })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: false })
      let arrived: () => void = () => {}
      // The first fetch answered means the consumer holds its position at the end of the log,
      // so what is sent from then on reaches the handler.
      const fetching = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()))
      await consumer.run({ eachMessage: async () => { arrived() } })
      await fetching
      const times = await sampleLatency(samples, async (value) => {
        const received = new Promise<void>((resolve) => { arrived = resolve })
        await producer.send({ topic, messages: [{ value, partition: 0 }] })
        await received
      })
      await consumer.disconnect()
      await producer.disconnect()
      return times
    }
  }
}

async function platformatic(bootstrap: string): Promise<Reader> {
  const { Consumer, Producer } = await import('@platformatic/kafka')
  const consumer = (groupId: string) => new Consumer({ clientId: 'bench', groupId, bootstrapBrokers: [bootstrap] })
  return {
    eachMessage: async (topic, groupId, total) => {
      const client = consumer(groupId)
      collectGarbage()
      const stream = await client.consume({ topics: [topic], mode: 'earliest', autocommit: true })
      const counter = new Counter(total)
      stream.on('data', () => counter.add(1))
      const seconds = await counter.done
      await stream.close()
      await client.close(true)
      return seconds
    },
    latency: async (topic, groupId, samples) => {
      const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], idempotent: false, acks: -1 })
      const client = consumer(groupId)
      const stream = await client.consume({ topics: [topic], mode: 'latest', autocommit: true })
      let arrived: () => void = () => {}
      stream.on('data', () => arrived())
      const times = await sampleLatency(samples, async (value) => {
        const received = new Promise<void>((resolve) => { arrived = resolve })
        await producer.send({ messages: [{ topic, value, partition: 0 }] })
        await received
      })
      await stream.close()
      await client.close(true)
      await producer.close()
      return times
    }
  }
}

/** Times `samples` round trips from the start of a send to its arrival in the handler. */
async function sampleLatency(samples: number, roundTrip: (value: Buffer) => Promise<void>): Promise<number[]> {
  const value = Buffer.alloc(SIZE, 'x')
  await roundTrip(value)
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const started = performance.now()
    await roundTrip(value)
    times.push(performance.now() - started)
  }
  return times
}

function reader(name: ClientName, bootstrap: string): Promise<Reader> {
  switch (name) {
    case 'ferrokafka': return Promise.resolve(kafkajsLike(Kafka, bootstrap))
    case 'kafkajs': return Promise.resolve(kafkajsLike(KafkaJS, bootstrap))
    case '@platformatic/kafka': return platformatic(bootstrap)
  }
}

/** Creates the topic and fills it with `MESSAGES` messages using ferrokafka's producer. */
async function fill(bootstrap: string, topic: string): Promise<void> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }, { topic: `${topic}-latency`, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const messages = Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(SIZE, 'x') }))
  const sends: Promise<unknown>[] = []
  for (let sent = 0; sent < MESSAGES; sent += messages.length) {
    sends.push(producer.send({ topic, acks: -1, messages }))
    if (sends.length === 16) await Promise.all(sends.splice(0))
  }
  await Promise.all(sends)
  await producer.disconnect()
}

interface Row { target: string, client: ClientName, batch?: number, message: number, p50: number, p99: number }

/**
 * Runs `read` for every client in `TURNS` turns, taken in client order, each turn in a group of
 * its own; returns what each client's turns gave (nothing for a client `read` skips).
 */
async function inTurns<T>(read: (name: ClientName, groupId: string) => Promise<T> | undefined): Promise<T[][]> {
  const results: T[][] = CLIENTS.map(() => [])
  for (let turn = 0; turn < TURNS; turn++) {
    for (const [i, name] of CLIENTS.entries()) {
      const result = read(name, `bench-${name.replace(/\W/g, '')}-${turn}`)
      if (result !== undefined) results[i].push(await result)
    }
  }
  return results
}

/** Messages/s over all of a client's turns of `total` messages each (none: undefined). */
const rateOver = (total: number, seconds: number[]): number | undefined =>
  seconds.length === 0 ? undefined : seconds.length * (total - 1) / seconds.reduce((sum, s) => sum + s, 0)

async function measure(target: Target): Promise<Row[]> {
  const topic = 'bench-consume'
  await fill(target.bootstrap, topic)
  const readers = new Map<ClientName, Reader>()
  for (const name of CLIENTS) readers.set(name, await reader(name, target.bootstrap))
  const batch = await inTurns((name, group) => readers.get(name)!.eachBatch?.(topic, `${group}-batch`, MESSAGES))
  const message = await inTurns((name, group) => readers.get(name)!.eachMessage(topic, `${group}-message`, MESSAGES))
  const latency = await inTurns((name, group) => readers.get(name)!.latency(`${topic}-latency`, `${group}-latency`, LATENCY_SAMPLES / TURNS))
  console.error(`done: ${target.name}`)
  return CLIENTS.map((name, i) => {
    const times = latency[i].flat().sort((a, b) => a - b)
    return {
      target: target.name,
      client: name,
      batch: rateOver(MESSAGES, batch[i]),
      message: rateOver(MESSAGES, message[i])!,
      p50: times[Math.floor(times.length * 0.5)],
      p99: times[Math.floor(times.length * 0.99)]
    }
  })
}

const rate = (n?: number): string => n === undefined ? '—' : Math.round(n).toLocaleString('en-US')
const ratio = (n: number | undefined, peer: number | undefined): string => n === undefined || peer === undefined ? '—' : `${(n / peer).toFixed(1)}x`

function print(rows: Row[]): void {
  console.log(`${MESSAGES} messages of ${SIZE} B in ${PARTITIONS} partitions, each client reading it ${TURNS} times (turns in client order, a fresh group each) with a no-op handler; ${LATENCY_SAMPLES} latency samples in ${TURNS} turns\n`)
  console.log('| broker | client | (a) eachBatch msgs/s | (b) eachMessage msgs/s | (c) p50 ms | (c) p99 ms | (a) vs kafkajs | (b) vs kafkajs |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const peer = rows.find((r) => r.target === row.target && r.client === 'kafkajs')!
    console.log(`| ${row.target} | ${row.client} | ${rate(row.batch)} | ${rate(row.message)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${ratio(row.batch, peer.batch)} | ${ratio(row.message, peer.message)} |`)
  }
}

runBenchmark(measure, print)
