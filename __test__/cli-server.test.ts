// Kafka's server lifecycle scripts as the npm package installs them (kafka-storage.sh,
// kafka-server-start.sh, kafka-server-stop.sh), run verbatim from a shell: a cluster id from
// random-uuid, the shipped config/server.properties formatted and started with -daemon, a topic's
// lines kept across kafka-server-stop and a restart; ZooKeeper settings refused, unknown keys
// named once, and server-stop with nothing running. Every tool runs with LOG_DIR set to a
// directory of this file's own, so these servers' pid files stay apart from other brokers'.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { uniqueName, waitFor } from './helpers/kafka'

const root = path.resolve(__dirname, '..')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ferrokafka-cli-server-'))
const binDir = path.join(work, 'bin')
const logDir = path.join(work, 'logs')
const dataDir = path.join(work, 'data')
const started: number[] = []

interface Result { code: number | null, stdout: string, stderr: string }

/** Runs `command` in a shell in `work`, with the package's bin names on PATH, as a user would. */
async function sh(command: string, options: { env?: Record<string, string>, input?: string } = {}): Promise<Result> {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: work,
    env: { ...process.env, LOG_DIR: logDir, PATH: [binDir, path.dirname(process.execPath), process.env.PATH].join(path.delimiter), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += chunk })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  child.stdin.end(options.input ?? '')
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

/** Whether `pid` is a live process (not a zombie). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true
  }
}

/** Starts config/server.properties in the background; its address, pid and cluster id. */
async function startDaemon(): Promise<{ bootstrap: string, pid: number, clusterId: string }> {
  const result = await sh('kafka-server-start.sh -daemon config/server.properties')
  expect(result).toMatchObject({ code: 0, stderr: '' })
  const line = /^\[KafkaServer id=1\] started: listening on (\S+) \(cluster id (\S+)\)\nrunning in the background as process (\d+); its output goes to (.+)\n$/.exec(result.stdout)
  expect(line).not.toBeNull()
  const [, bootstrap, clusterId, pid, output] = line!
  started.push(Number(pid))
  expect(output).toBe(path.join(logDir, 'kafkaServer.out'))
  return { bootstrap, pid: Number(pid), clusterId }
}

beforeAll(() => {
  fs.mkdirSync(binDir)
  const bins: Record<string, string> = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin
  for (const [name, script] of Object.entries(bins)) fs.symlinkSync(path.join(root, script), path.join(binDir, name))
  // The shipped file, with the log directory moved into this test's directory and the listener on
  // a free port (advertised as bound) so that it runs beside other brokers on this machine.
  const shipped = fs.readFileSync(path.join(root, 'config', 'server.properties'), 'utf8')
  const config = shipped
    .replace(/^log\.dirs=.*$/m, `log.dirs=${dataDir}`)
    .replace(/^listeners=PLAINTEXT:\/\/localhost:9092,/m, 'listeners=PLAINTEXT://localhost:0,')
    .replace(/^advertised\.listeners=.*\n/m, '')
  expect(config).not.toBe(shipped)
  fs.mkdirSync(path.join(work, 'config'))
  fs.writeFileSync(path.join(work, 'config', 'server.properties'), config)
})

afterAll(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL')
  fs.rmSync(work, { recursive: true, force: true })
})

describe('kafka-storage.sh', () => {
  it('random-uuid prints a new Kafka UUID (22 characters of URL-safe base64) each time', async () => {
    const first = await sh('kafka-storage.sh random-uuid')
    const second = await sh('kafka-storage.sh random-uuid')
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}\n$/)
    expect(second.stdout).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}\n$/)
    expect(second.stdout).not.toBe(first.stdout)
  })
})

describe('a server formatted, started with -daemon, stopped and started again', () => {
  it('keeps its cluster id and every produced line', async () => {
    const id = (await sh('kafka-storage.sh random-uuid')).stdout.trim()
    const format = 'kafka-storage.sh format --standalone -t $KAFKA_CLUSTER_ID -c config/server.properties'
    expect(await sh(format, { env: { KAFKA_CLUSTER_ID: id } })).toEqual({
      code: 0, stdout: `Formatting dynamic metadata voter directory ${dataDir} with metadata.version 4.0-IV3.\n`, stderr: ''
    })
    const meta = fs.readFileSync(path.join(dataDir, 'meta.properties'), 'utf8')
    expect(meta).toMatch(new RegExp(`^cluster\\.id=${id}$`, 'm'))
    expect(meta).toMatch(/^node\.id=1$/m)
    expect(meta).toMatch(/^version=1$/m)
    expect(await sh(format, { env: { KAFKA_CLUSTER_ID: id } })).toEqual({
      code: 1, stdout: '', stderr: `Log directory ${dataDir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n`
    })
    expect(await sh(`${format} --ignore-formatted`, { env: { KAFKA_CLUSTER_ID: id } })).toEqual({
      code: 0, stdout: 'All of the log directories are already formatted.\n', stderr: ''
    })

    const first = await startDaemon()
    expect(first.clusterId).toBe(id)
    expect(alive(first.pid)).toBe(true)
    const topic = uniqueName('lifecycle')
    const created = await sh(`kafka-topics.sh --create --topic ${topic} --bootstrap-server ${first.bootstrap}`)
    expect(created).toEqual({ code: 0, stdout: `Created topic ${topic}.\n`, stderr: '' })
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`)
    const produced = await sh(`kafka-console-producer.sh --bootstrap-server ${first.bootstrap} --topic ${topic}`,
      { input: lines.join('\n') + '\n' })
    expect(produced).toEqual({ code: 0, stdout: '', stderr: '' })

    expect(await sh('kafka-server-stop.sh')).toEqual({ code: 0, stdout: '', stderr: '' })
    await waitFor(() => !alive(first.pid), `process ${first.pid} to exit`)
    expect(fs.existsSync(path.join(dataDir, '.clean_shutdown'))).toBe(true)
    const output = fs.readFileSync(path.join(logDir, 'kafkaServer.out'), 'utf8')
    expect(output).toContain(`[KafkaServer id=1] started: listening on ${first.bootstrap}`)
    expect(output).toContain('closed the log directory cleanly')
    expect(output).not.toContain('were supplied but are not Kafka broker settings')

    const second = await startDaemon()
    expect(second.clusterId).toBe(id)
    const consumed = await sh(`kafka-console-consumer.sh --bootstrap-server ${second.bootstrap} --topic ${topic} --from-beginning --max-messages ${lines.length}`)
    expect(consumed).toEqual({ code: 0, stdout: lines.join('\n') + '\n', stderr: `Processed a total of ${lines.length} messages\n` })

    expect((await sh('kafka-server-stop.sh --node-id=2')).code).toBe(0)
    expect(alive(second.pid)).toBe(true)
    expect(await sh('kafka-server-stop.sh --node-id=1')).toEqual({ code: 0, stdout: '', stderr: '' })
    await waitFor(() => !alive(second.pid), `process ${second.pid} to exit`)
    expect(await sh('kafka-server-stop.sh')).toEqual({ code: 1, stdout: 'No kafka server to stop\n', stderr: '' })
  })
})

describe('kafka-server-start.sh', () => {
  it('refuses zookeeper.connect with Kafka 4 advice, in one line, with exit code 1', async () => {
    fs.writeFileSync(path.join(work, 'zookeeper.properties'),
      'broker.id=0\nzookeeper.connect=localhost:2181\nlisteners=PLAINTEXT://127.0.0.1:0\n')
    const advice = /^ERROR zookeeper\.connect is set, but ZooKeeper mode was removed in Apache Kafka 4\.0: remove the zookeeper\.\* settings, set process\.roles=broker,controller and node\.id, and format the log directories with kafka-storage\.sh format .*\n$/
    for (const command of ['kafka-server-start.sh zookeeper.properties', 'kafka-server-start.sh -daemon zookeeper.properties']) {
      const result = await sh(command)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(advice)
    }
  })

  it('accepts keys Kafka does not know and names them in one log line', async () => {
    fs.writeFileSync(path.join(work, 'unknown.properties'),
      'node.id=5\nlisteners=PLAINTEXT://127.0.0.1:0\nno.such.setting=1\nnum.partition=3\ncontroller.quorum.bootstrap.servers=localhost:9093\n')
    const child = spawn(path.join(binDir, 'kafka-server-start.sh'), ['unknown.properties'], {
      cwd: work, env: { ...process.env, LOG_DIR: logDir }, stdio: ['ignore', 'pipe', 'pipe']
    })
    started.push(child.pid!)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await waitFor(() => stdout.includes('started: listening on'), 'the server to listen')
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const reports = stderr.split('\n').filter((line) => line.includes('were supplied'))
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatch(/WARN .*These configurations '\[no\.such\.setting, num\.partition\]' were supplied but are not Kafka broker settings; they are ignored\.$/)
  })
})

describe('kafka-server-stop.sh', () => {
  it('says there is no server to stop and exits with 1 when none runs', async () => {
    const empty = fs.mkdtempSync(path.join(work, 'empty-logs-'))
    expect(await sh('kafka-server-stop.sh', { env: { LOG_DIR: empty } })).toEqual({
      code: 1, stdout: 'No kafka server to stop\n', stderr: ''
    })
  })
})
