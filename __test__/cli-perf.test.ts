// kafka-producer-perf-test and kafka-consumer-perf-test (bin/*.js) against a broker started by
// kafka-server-start: Kafka's report lines, the records really written (read back with kafkajs
// and kafka-console-consumer) and consumed, the group's committed position, and Kafka's refusals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runTool, startCliBroker, type CliBroker } from './helpers/cli'
import { kafkajs, uniqueName } from './helpers/kafka'

const summary = /^(\d+) records sent, \d+\.\d{6} records\/sec \(\d+\.\d{2} MB\/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/
const consumerHeader = 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec'
const timeField = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}$/
const decimal4 = /^\d+\.\d{4}$/

describe('perf tools against a broker started by kafka-server-start', () => {
  let broker: CliBroker
  let dir: string
  beforeAll(async () => {
    broker = await startCliBroker()
    dir = mkdtempSync(path.join(tmpdir(), 'ferrokafka-perf-'))
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    expect((await broker.stop()).code).toBe(0)
  })

  /** The sum of `topic`'s high watermarks, as kafkajs reads them. */
  async function written (topic: string): Promise<number> {
    const admin = kafkajs([broker.bootstrap]).admin()
    await admin.connect()
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
    } finally {
      await admin.disconnect()
    }
  }

  /** Produces `count` records of 100 bytes to a new topic with kafka-producer-perf-test. */
  async function produced (count: number, extra: string[] = []): Promise<string> {
    const topic = uniqueName('perf')
    const result = await runTool('kafka-producer-perf-test', ['--topic', topic, '--num-records', String(count),
      '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=1', ...extra])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[lines.length - 1]).toMatch(summary)
    expect(summary.exec(lines[lines.length - 1])![1]).toBe(String(count))
    return topic
  }

  it('producer-perf-test sends --num-records records of --record-size random capitals', async () => {
    const topic = await produced(2000)
    expect(await written(topic)).toBe(2000)
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', broker.bootstrap, '--topic', topic,
      '--from-beginning', '--max-messages', '3'])
    expect(consumed.stdout).toMatch(/^([A-Z]{100}\n){3}$/)
  })

  it('producer-perf-test reads --producer.config and paces records with --throughput', async () => {
    const config = path.join(dir, 'producer.properties')
    writeFileSync(config, `bootstrap.servers=${broker.bootstrap}\ncompression.type=lz4\n`)
    const topic = uniqueName('paced')
    const result = await runTool('kafka-producer-perf-test', ['--topic', topic, '--num-records', '30',
      '--record-size', '10', '--throughput', '300', '--producer.config', config])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toMatch(/^30 records sent, /)
    expect(await written(topic)).toBe(30)
  })

  it('producer-perf-test picks payloads from --payload-file', async () => {
    const file = path.join(dir, 'payloads.txt')
    writeFileSync(file, 'alpha\nbeta\n')
    const topic = uniqueName('payloads')
    const result = await runTool('kafka-producer-perf-test', ['--topic', topic, '--num-records', '20',
      '--payload-file', file, '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines.slice(0, 2)).toEqual([`Reading payloads from: ${file}`, 'Number of messages read: 2'])
    expect(lines[2]).toMatch(/^20 records sent, /)
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', broker.bootstrap, '--topic', topic,
      '--from-beginning', '--max-messages', '20'])
    const values = new Set(consumed.stdout.trimEnd().split('\n'))
    expect([...values].every((v) => v === 'alpha' || v === 'beta')).toBe(true)
  })

  it('producer-perf-test refuses what Kafka refuses and reports an unreachable server in one line', async () => {
    const base = ['--topic', 't', '--num-records', '5', '--throughput', '-1']
    expect(await runTool('kafka-producer-perf-test', [...base, '--record-size', '10']))
      .toEqual({ code: 1, stdout: '', stderr: 'ERROR Either --producer-props or --producer.config must be specified.\n' })
    expect((await runTool('kafka-producer-perf-test', [...base, '--producer-props', 'acks=1', 'bootstrap.servers=x'])).stderr)
      .toBe('ERROR one of the arguments --record-size --payload-file is required\n')
    expect((await runTool('kafka-producer-perf-test', [...base, '--record-size', '0', '--producer-props', 'a=b'])).stderr)
      .toBe('ERROR --record-size should be greater than zero\n')
    expect((await runTool('kafka-producer-perf-test', [...base, '--record-size', '1', '--producer-props', 'acks'])).stderr)
      .toBe('ERROR Invalid property: acks\n')
    const unreachable = await runTool('kafka-producer-perf-test', [...base, '--record-size', '1', '--producer-props', 'bootstrap.servers=127.0.0.1:1'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^ERROR Error when sending records: cannot reach bootstrap server 127\.0\.0\.1:1: .*\n$/)
  })

  it('consumer-perf-test consumes --messages records and prints Kafka\'s CSV', async () => {
    const topic = await produced(1500)
    const group = uniqueName('perf-group')
    const result = await runTool('kafka-consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', topic,
      '--messages', '1500', '--group', group])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const [header, line, ...rest] = result.stdout.trimEnd().split('\n')
    expect(header).toBe(consumerHeader)
    expect(rest).toEqual([])
    const fields = line.split(', ')
    expect(fields).toHaveLength(10)
    expect(fields[0]).toMatch(timeField)
    expect(fields[1]).toMatch(timeField)
    expect(fields[2]).toBe((1500 * 100 / (1024 * 1024)).toFixed(4))
    expect(fields[4]).toBe('1500')
    for (const i of [3, 5, 8, 9]) expect(fields[i]).toMatch(/^(\d+\.\d{4}|Infinity|NaN)$/)
    for (const i of [6, 7]) expect(fields[i]).toMatch(/^-?\d+$/)

    const admin = kafkajs([broker.bootstrap]).admin()
    await admin.connect()
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    await admin.disconnect()
    expect(offsets.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(1500)
  })

  it('consumer-perf-test warns when --timeout ends it early, and prints detailed stats\' header', async () => {
    const topic = await produced(100)
    const early = await runTool('kafka-consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', topic,
      '--messages', '500', '--timeout', '500'])
    expect(early.code).toBe(0)
    const [header, warning, line] = early.stdout.trimEnd().split('\n')
    expect(header).toBe(consumerHeader)
    expect(warning).toBe('WARNING: Exiting before consuming the expected number of messages: timeout (500 ms) exceeded. You can use the --timeout option to increase the timeout.')
    expect(line.split(', ')[4]).toBe('100')

    const detailed = await runTool('kafka-consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', topic,
      '--messages', '100', '--show-detailed-stats', '--reporting-interval', '1'])
    expect(detailed.code).toBe(0)
    const [detailedHeader, ...progress] = detailed.stdout.trimEnd().split('\n')
    expect(detailedHeader).toBe('time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec')
    for (const row of progress) {
      const fields = row.split(', ')
      expect(fields[0]).toMatch(timeField)
      expect(fields[1]).toBe('0')
      expect(fields[2]).toMatch(decimal4)
    }
  })

  it('consumer-perf-test requires --messages', async () => {
    expect(await runTool('kafka-consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', 't']))
      .toEqual({ code: 1, stdout: '', stderr: 'ERROR Missing required argument "[messages]"\n' })
  })
})
