// Reference peers for tests: Apache Kafka and the librdkafka mock as external brokers, and the
// Java, Python (confluent-kafka), @platformatic/kafka and kcat clients (peers/install.sh installs them).
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { createBroker } from '../..'
import { waitFor } from './kafka'

const repoRoot = path.resolve(__dirname, '..', '..')
const peersDir = path.join(repoRoot, 'peers')
const cache = process.env.FERROKAFKA_PEERS_CACHE ?? path.join(homedir(), '.cache', 'ferrokafka-peers')
const INSTALL_HINT = 'run `bash peers/install.sh` to install the reference peers'

/** A broker running as its own process, stopped with close(). */
export interface ExternalBroker {
  name: string
  brokers: string[]
  close(): Promise<void>
}

/** An Apache Kafka that can also be restarted on the same port with the same data. */
export interface RestartableBroker extends ExternalBroker {
  restart(): Promise<void>
}

/** One JSON line a peer program printed. */
export interface PeerLine {
  type: string
  partition: number
  offset: number | null
  key?: string
  value?: string
  [field: string]: unknown
}

interface Output {
  stdout: string
  stderr: string
}

function run(file: string, args: string[], options: { input?: string, timeoutMs?: number } = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 50_000
    const child = execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          const why = (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${file} not found (${INSTALL_HINT})`
            : error.killed ? `no answer in ${timeoutMs} ms` : `exit code ${error.code}`
          reject(new Error(`${[file, ...args].join(' ')} failed: ${why}\n${stderr}`))
        } else {
          resolve({ stdout, stderr })
        }
      })
    child.stdin?.end(options.input ?? '')
  })
}

function requireFile(file: string, what: string): string {
  if (!existsSync(file)) throw new Error(`${what} is not installed (${file} missing): ${INSTALL_HINT}`)
  return file
}

function jsonLines(stdout: string): PeerLine[] {
  return stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as PeerLine)
}

/** True once the process is gone (or only a zombie waiting for its parent). */
function exited(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z')
  } catch {
    return true
  }
}

async function startScript(name: string, script: string, args: string[]): Promise<ExternalBroker & { dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), `ferrokafka-${name.replace(/\W+/g, '-')}-`))
  try {
    await run('bash', [script, dir, ...args], { timeoutMs: 100_000 })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const bootstrap = readFileSync(path.join(dir, 'addr'), 'utf8').trim().split('\n')[0]
  return {
    name,
    brokers: [bootstrap],
    dir,
    async close () {
      const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already stopped
      }
      const deadline = Date.now() + 10_000
      while (!exited(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Starts a single-node KRaft Apache Kafka 4.x on 127.0.0.1 (peers/kafka/start.sh); `restart()`
 * stops it cleanly and serves the same data on the same port again (peers/kafka/serve.sh).
 */
export async function startApacheKafka(properties: string[] = []): Promise<RestartableBroker> {
  requireFile(path.join(cache, 'kafka', 'libs', '.pom.xml'), 'Apache Kafka')
  const started = await startScript('Apache Kafka', path.join(peersDir, 'kafka', 'start.sh'), properties)
  const dir = started.dir
  // A caller that advertises another address (a proxy) waits for the coordinator once it forwards.
  const advertised = properties.some((p) => p.startsWith('advertised.listeners='))
  if (!advertised) {
    await awaitGroupCoordinator(started.brokers).catch(async (error) => {
      await started.close()
      throw error
    })
  }
  return {
    ...started,
    async restart () {
      const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
      process.kill(pid, 'SIGTERM')
      const deadline = Date.now() + 60_000
      while (!exited(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      await run('bash', [path.join(peersDir, 'kafka', 'serve.sh'), dir], { timeoutMs: 100_000 })
      if (!advertised) await awaitGroupCoordinator(started.brokers)
    }
  }
}

/**
 * Waits until Apache Kafka's group coordinator answers. Until its offsets topic is created and
 * loaded, joins and commits get COORDINATOR_NOT_AVAILABLE, which kafkajs retries only within its
 * short test-mode budget (a kafkajs consumer then crashes and restarts, and can miss a test's wait).
 */
export async function awaitGroupCoordinator(brokers: string[]): Promise<void> {
  const admin = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await waitFor(() => admin.describeGroups(['coordinator-check']).then(() => true, () => false),
      'the group coordinator of Apache Kafka', 60_000)
  } finally {
    await admin.disconnect()
  }
}

/** Starts librdkafka's mock cluster (shared/tools/rdmock), e.g. startRdmock(['-t', 'orders:3']). */
export function startRdmock(args: string[] = []): Promise<ExternalBroker> {
  const script = requireFile(path.resolve(repoRoot, '..', 'shared', 'tools', 'rdmock', 'start.sh'), 'the rdmock cluster')
  return startScript('librdkafka mock', script, args)
}

/** Runs peers/java/Peer.java (Apache Kafka's Java client) and returns the JSON lines it printed. */
export async function runJavaPeer(args: string[]): Promise<PeerLine[]> {
  requireFile(path.join(cache, 'java', 'classes', 'Peer.class'), 'The Java peer')
  return jsonLines((await run('bash', [path.join(peersDir, 'java', 'run.sh'), ...args])).stdout)
}

/** Runs peers/python/peer.py (confluent-kafka) and returns the JSON lines it printed. */
export async function runPythonPeer(args: string[]): Promise<PeerLine[]> {
  requireFile(path.join(cache, 'venv', 'bin', 'python'), 'confluent-kafka')
  return jsonLines((await run('bash', [path.join(peersDir, 'python', 'run.sh'), ...args])).stdout)
}

/** Runs peers/node/platformatic.mjs (@platformatic/kafka) and returns the JSON lines it printed. */
export async function runPlatformaticPeer(args: string[]): Promise<PeerLine[]> {
  return jsonLines((await run(process.execPath, [path.join(peersDir, 'node', 'platformatic.mjs'), ...args])).stdout)
}

/** kcat's output: the raw text and every line that parsed as JSON (with -J). */
export interface KcatOutput extends Output {
  json: Record<string, unknown>[]
}

/** Runs kcat with `args`, feeding `input` on stdin; fails if kcat exits non-zero. */
export async function kcat(args: string[], input?: string): Promise<KcatOutput> {
  const output = await run('kcat', args, { input })
  const json = output.stdout.split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { ...output, json }
}

/** The brokers every peer scenario runs against: ours, and Apache Kafka as the reference. */
export const TARGETS = ['ferrokafka', 'Apache Kafka'] as const
export type TargetName = (typeof TARGETS)[number]

/** How long a test may take to start Apache Kafka (a JVM) on a busy 2-core machine. */
const START_TIMEOUT_MS = 120_000

/** Starts one of TARGETS with `numPartitions` for auto-created topics and extra broker `properties`. */
async function startTarget(name: TargetName, numPartitions = 1, properties: Record<string, string> = {}): Promise<ExternalBroker> {
  if (name === 'Apache Kafka') {
    const extra = Object.entries(properties).map(([key, value]) => `${key}=${value}`)
    return startApacheKafka([`num.partitions=${numPartitions}`, ...extra])
  }
  const broker = await createBroker({ numPartitions, config: properties })
  return { name, brokers: broker.brokers, close: () => broker.close() }
}

/**
 * Declares `suite` once per target (`describe.each(TARGETS)`), each with its own broker whose
 * auto-created topics get `numPartitions` (and which gets the broker `properties` given);
 * `bootstrap()` gives the suite's bootstrap address. Every target starts when the file loads, so
 * Apache Kafka boots while the ferrokafka suite runs, and all stop after the file's last test.
 */
export function describeTargets(
  title: string,
  numPartitions: number,
  suite: (bootstrap: () => string) => void,
  properties: Record<string, string> = {}
): void {
  const started = new Map(TARGETS.map((name) => {
    const broker = startTarget(name, numPartitions, properties)
    broker.catch(() => undefined)
    return [name, broker] as const
  }))
  afterAll(() => Promise.all([...started.values()].map((broker) => broker.then((b) => b.close(), () => undefined))),
    START_TIMEOUT_MS)
  describe.each(TARGETS)(title, (name) => {
    let broker: ExternalBroker | undefined
    beforeAll(async () => {
      broker = await started.get(name)
    }, START_TIMEOUT_MS)
    suite(() => {
      if (!broker) throw new Error(`${name} did not start`)
      return broker.brokers[0]
    })
  })
}
