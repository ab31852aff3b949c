// Brokers for the benchmarks, each in its own process: ferrokafka's `server-start`, the
// librdkafka mock cluster and Apache Kafka, each timed from spawn to its printed address.
// runBenchmark warms each broker up before measuring it, so a JVM's JIT compiler has done its
// work before the first client is timed.
import { spawn, spawnSync, ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Kafka, logLevel } from 'ferrokafka'

const root = path.resolve(__dirname, '..')

setFlagsFromString('--expose-gc')
/**
 * A full garbage collection of this process, run before each timed part so that no client
 * pays for the garbage an earlier one left in the shared JavaScript heap.
 */
export const collectGarbage: () => void = runInNewContext('gc')

export interface Target {
  name: string
  bootstrap: string
  startMs: number
  stop: () => void
}

/** Runs a start script that prints the bootstrap address, timing it from spawn to address. */
function startScript(name: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Target {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name.replace(/\W/g, '-')}-`))
  const started = performance.now()
  const result = spawnSync('bash', [script, dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  if (result.status !== 0) throw new Error(`${name} did not start: ${result.stderr}`)
  const startMs = performance.now() - started
  const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
  return {
    name,
    bootstrap: result.stdout.trim().split('\n')[0],
    startMs,
    stop: () => {
      try { process.kill(pid) } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** ferrokafka's broker as its own process (`ferrokafka server-start`). */
export async function startFerrokafka(): Promise<Target> {
  const started = performance.now()
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin', 'ferrokafka.js'), 'server-start',
    '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /listening on (\S+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`ferrokafka exited with ${code}`)))
  })
  return { name: 'ferrokafka', bootstrap, startMs: performance.now() - started, stop: () => child.kill() }
}

/** librdkafka's mock cluster with `topics` (`name:partitions`) created up front. */
export function startRdmock(topics: string[]): Target {
  const script = path.resolve(root, '..', 'shared', 'tools', 'rdmock', 'start.sh')
  return startScript('librdkafka mock', script, topics.flatMap((t) => ['-t', t]))
}

/**
 * A single-node Apache Kafka (KRaft) from peers/install.sh, with the heap and JVM options
 * Kafka's kafka-server-start.sh gives it (the tests' fast-start options would slow it down).
 */
export function startApacheKafka(): Target {
  return startScript('Apache Kafka', path.join(root, 'peers', 'kafka', 'start.sh'), [], {
    KAFKA_HEAP_OPTS: '-Xmx1G -Xms1G',
    KAFKA_JVM_PERFORMANCE_OPTS: '-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent'
  })
}

const WARM_UP_MESSAGES = 4_000_000
const WARM_UP_SINGLE_SENDS = 10_000
const WARM_UP_READS = 3

/**
 * Runs the target's produce and fetch paths, for large requests and small, until a JVM broker
 * has reached its steady pace: a freshly started Apache Kafka takes a few million messages
 * before it produces and serves fetches at its full speed, and whichever client is measured
 * first would otherwise pay for that. Produces `WARM_UP_MESSAGES` 100-byte messages to a topic
 * in batches of 1,000, then `WARM_UP_SINGLE_SENDS` one at a time, reads the topic
 * `WARM_UP_READS` times in fresh groups and deletes it.
 */
async function warmUp(target: Target): Promise<void> {
  const kafka = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING })
  const topic = 'bench-warm-up'
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true })
  const producer = kafka.producer()
  await producer.connect()
  const messages = Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(100, 'w') }))
  for (let sent = 0; sent < WARM_UP_MESSAGES; sent += messages.length) await producer.send({ topic, acks: -1, messages })
  for (let sent = 0; sent < WARM_UP_SINGLE_SENDS; sent++) await producer.send({ topic, acks: -1, messages: messages.slice(0, 1) })
  await producer.disconnect()
  for (let read = 0; read < WARM_UP_READS; read++) {
    const consumer = kafka.consumer({ groupId: `bench-warm-up-${read}` })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let seen = 0
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length
          if (seen >= WARM_UP_MESSAGES + WARM_UP_SINGLE_SENDS) resolve()
        }
      })
    })
    await consumer.disconnect()
  }
  await admin.deleteTopics({ topics: [topic] })
  await admin.disconnect()
}

/**
 * Runs a side-by-side benchmark: starts the brokers BENCH_TARGETS names (`ferrokafka`, `kafka`;
 * both when unset), measures each in turn, prints the rows and stops every broker it started.
 */
export function runBenchmark<Row>(measure: (target: Target) => Promise<Row[]>, print: (rows: Row[]) => void): void {
  const run = async (): Promise<void> => {
    const targets: Target[] = []
    try {
      const only = process.env.BENCH_TARGETS?.split(',')
      if (!only || only.includes('ferrokafka')) targets.push(await startFerrokafka())
      if (!only || only.includes('kafka')) targets.push(startApacheKafka())
      const rows: Row[] = []
      for (const target of targets) {
        await warmUp(target)
        rows.push(...await measure(target))
      }
      print(rows)
    } finally {
      for (const target of targets) target.stop()
    }
  }
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
