// Brokers for the benchmarks, each in its own process: ferrokafka's `server-start`, the
// librdkafka mock cluster and Apache Kafka, each timed from spawn to its printed address.
import { spawn, spawnSync, ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const root = path.resolve(__dirname, '..')

export interface Target {
  name: string
  bootstrap: string
  startMs: number
  stop: () => void
}

/** Runs a start script that prints the bootstrap address, timing it from spawn to address. */
function startScript(name: string, script: string, args: string[]): Target {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name.replace(/\W/g, '-')}-`))
  const started = performance.now()
  const result = spawnSync('bash', [script, dir, ...args], { encoding: 'utf8' })
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

/** A single-node Apache Kafka (KRaft) from peers/install.sh. */
export function startApacheKafka(): Target {
  return startScript('Apache Kafka', path.join(root, 'peers', 'kafka', 'start.sh'), [])
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
      for (const target of targets) rows.push(...await measure(target))
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
