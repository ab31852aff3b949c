// kafka-topics (bin/kafka-topics.js): Kafka's own command lines, run verbatim against a broker
// started by kafka-server-start and against the librdkafka mock cluster.
import { runTool, startCliBroker, type CliBroker } from './helpers/cli'
import { uniqueName } from './helpers/kafka'
import { startRdmock, type ExternalBroker } from './helpers/peers'

describe('kafka-topics against a broker started by kafka-server-start', () => {
  let broker: CliBroker
  beforeAll(async () => { broker = await startCliBroker() })
  afterAll(async () => { expect((await broker.stop()).code).toBe(0) })

  it('creates, lists, describes, alters and deletes a topic with Kafka\'s flags', async () => {
    const bs = broker.bootstrap
    const t1 = uniqueName('t1')
    const created = await runTool('kafka-topics', `--bootstrap-server ${bs} --create --topic ${t1} --partitions 1 --replication-factor 1`.split(' '))
    expect(created).toMatchObject({ code: 0, stdout: `Created topic ${t1}.\n` })

    const listed = await runTool('kafka-topics', `--list --bootstrap-server ${bs}`.split(' '))
    expect(listed.code).toBe(0)
    expect(listed.stdout.split('\n')).toContain(t1)

    const described = await runTool('kafka-topics', `--bootstrap-server ${bs} --describe --topic ${t1}`.split(' '))
    expect(described.code).toBe(0)
    expect(described.stdout).toMatch(new RegExp(
      `^Topic: ${t1}\\tTopicId: [A-Za-z0-9_-]{22}\\tPartitionCount: 1\\tReplicationFactor: 1\\tConfigs: .*\\n` +
      `\\tTopic: ${t1}\\tPartition: 0\\tLeader: 1\\tReplicas: 1\\tIsr: 1\\tElr: N/A\\tLastKnownElr: N/A\\n$`))

    const altered = await runTool('kafka-topics', `--bootstrap-server ${bs} --alter --topic ${t1} --partitions 3`.split(' '))
    expect(altered).toMatchObject({ code: 0, stderr: '' })
    const after = await runTool('kafka-topics', `--bootstrap-server ${bs} --describe --topic ${t1}`.split(' '))
    expect(after.stdout).toMatch(/PartitionCount: 3/)
    expect(after.stdout.match(/\tPartition: \d/g)).toEqual(['\tPartition: 0', '\tPartition: 1', '\tPartition: 2'])

    const deleted = await runTool('kafka-topics', `--bootstrap-server ${bs} --delete --topic ${t1}`.split(' '))
    expect(deleted).toMatchObject({ code: 0, stdout: '' })
    const gone = await runTool('kafka-topics', `--list --bootstrap-server ${bs}`.split(' '))
    expect(gone.stdout.split('\n')).not.toContain(t1)
  })

  it('shows --config overrides in --describe, and --if-not-exists makes a second create quiet', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('configured')
    const args = ['--bootstrap-server', bs, '--create', '--topic', topic, '--config', 'retention.ms=12345']
    expect((await runTool('kafka-topics', args)).code).toBe(0)
    const described = await runTool('kafka-topics', ['--bootstrap-server', bs, '--describe', '--topic', topic])
    expect(described.stdout).toMatch(/\tConfigs: (.*,)?retention\.ms=12345(,|\n)/)
    const again = await runTool('kafka-topics', args)
    expect(again).toMatchObject({ code: 1, stderr: `Error while executing topic command : Topic '${topic}' already exists.\n` })
    expect(await runTool('kafka-topics', [...args, '--if-not-exists'])).toMatchObject({ code: 0, stdout: '', stderr: '' })
  })

  it('answers errors with one line and exit code 1', async () => {
    const bs = broker.bootstrap
    const missing = uniqueName('missing')
    expect(await runTool('kafka-topics', ['--bootstrap-server', bs, '--describe', '--topic', missing]))
      .toEqual({ code: 1, stdout: '', stderr: `Error while executing topic command : Topic '${missing}' does not exist as expected\n` })
    expect(await runTool('kafka-topics', ['--bootstrap-server', bs, '--delete', '--topic', missing, '--if-exists']))
      .toMatchObject({ code: 0, stderr: '' })
    const zk = await runTool('kafka-topics', ['--zookeeper', 'localhost:2181', '--list'])
    expect(zk.code).toBe(1)
    expect(zk.stderr).toMatch(/use --bootstrap-server/)
    expect(zk.stderr.trim().split('\n')).toHaveLength(1)
    const unreachable = await runTool('kafka-topics', ['--bootstrap-server', '127.0.0.1:1', '--list'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^Error while executing topic command : cannot reach bootstrap server 127\.0\.0\.1:1: .*\n$/)
    const badFlag = await runTool('kafka-topics', ['--bootstrap-server', bs, '--lsit'])
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/unexpected argument '--lsit'/)
  })
})

describe('kafka-topics against the librdkafka mock cluster', () => {
  let mock: ExternalBroker
  beforeAll(async () => { mock = await startRdmock(['-t', 'orders:3']) })
  afterAll(() => mock.close())

  it('lists its topics', async () => {
    const bs = mock.brokers[0]
    const listed = await runTool('kafka-topics', ['--list', '--bootstrap-server', bs])
    expect(listed).toMatchObject({ code: 0 })
    expect(listed.stdout.split('\n')).toContain('orders')
  })
})
