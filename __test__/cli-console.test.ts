// kafka-console-producer and kafka-console-consumer (bin/*.js): Kafka's command lines run
// verbatim against a broker started by kafka-server-start and against the librdkafka mock,
// including reading one partition directly (--partition, --offset) in no group.
import { runTool, startCliBroker, startTool, type CliBroker } from './helpers/cli'
import { kafkajs, uniqueName } from './helpers/kafka'
import { startRdmock, type ExternalBroker } from './helpers/peers'

describe('console producer and consumer against a broker started by kafka-server-start', () => {
  let broker: CliBroker
  beforeAll(async () => { broker = await startCliBroker() })
  afterAll(async () => { expect((await broker.stop()).code).toBe(0) })

  it('produces stdin lines and consumes them --from-beginning', async () => {
    const bs = broker.bootstrap
    const test = uniqueName('test')
    const produced = await runTool('kafka-console-producer', `--topic ${test} --broker-list ${bs}`.split(' '), 'one\ntwo\nthree\n')
    expect(produced).toEqual({ code: 0, stdout: '', stderr: '' })
    const consumed = await runTool('kafka-console-consumer',
      `--bootstrap-server ${bs} --topic ${test} --from-beginning --max-messages 3`.split(' '))
    expect(consumed).toEqual({ code: 0, stdout: 'one\ntwo\nthree\n', stderr: 'Processed a total of 3 messages\n' })
  })

  it('parses keys and headers and prints them with the formatter properties', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('keyed')
    const produced = await runTool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic,
      '--property', 'parse.key=true', '--property', 'key.separator=:', '--property', 'parse.headers=true',
      '--compression-codec', 'lz4', '--request-required-acks', '1'], 'h1:a,h2:b\tk1:v1\n')
    expect(produced.code).toBe(0)
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--from-beginning', '--max-messages', '1', '--property', 'print.key=true', '--property', 'print.headers=true',
      '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'print.timestamp=true'])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout).toMatch(/^CreateTime:\d+\tPartition:0\tOffset:0\th1:a,h2:b\tk1\tv1\n$/)
  })

  it('exits cleanly on Ctrl-C and says how many messages it processed', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('sigint')
    expect((await runTool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic], 'x\ny\n')).code).toBe(0)
    const consumer = startTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic, '--from-beginning'])
    await consumer.waitForOutput(/^x\ny\n/, 'both messages')
    consumer.child.kill('SIGINT')
    const result = await consumer.exited
    expect(result).toEqual({ code: 0, stdout: 'x\ny\n', stderr: 'Processed a total of 2 messages\n' })
  })

  it('ends after --timeout-ms without messages', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('idle')
    const result = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic, '--timeout-ms', '500'])
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' })
  })

  it('reads one partition from --offset in no group', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('direct')
    expect((await runTool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic], 'a\nb\nc\nd\n')).code).toBe(0)
    const groupsBefore = (await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--list'])).stdout
    const fromTwo = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--partition', '0', '--offset', '2', '--max-messages', '2', '--property', 'print.offset=true'])
    expect(fromTwo).toEqual({ code: 0, stdout: 'Offset:2\tc\nOffset:3\td\n', stderr: 'Processed a total of 2 messages\n' })
    const earliest = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--partition', '0', '--offset', 'earliest', '--timeout-ms', '500'])
    expect(earliest).toEqual({ code: 0, stdout: 'a\nb\nc\nd\n', stderr: 'Processed a total of 4 messages\n' })
    const fromBeginning = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--partition', '0', '--from-beginning', '--max-messages', '1'])
    expect(fromBeginning.stdout).toBe('a\n')
    const groupsAfter = (await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--list'])).stdout
    expect(groupsAfter).toBe(groupsBefore)
  })

  it('starts at the end of --partition without --offset and prints what arrives after', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('tail')
    expect((await runTool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic], 'old\n')).code).toBe(0)
    const idle = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--partition', '0', '--timeout-ms', '500'])
    expect(idle).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' })
    const latest = startTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--partition', '0', '--offset', 'latest', '--max-messages', '1'])
    // Where the tool starts is not observable, so messages are sent until one arrives after it.
    const producer = kafkajs([bs]).producer()
    await producer.connect()
    try {
      while (latest.stdout() === '' && latest.stderr() === '') {
        await producer.send({ topic, messages: [{ value: 'new' }] })
      }
    } finally {
      await producer.disconnect()
    }
    const result = await latest.exited
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('new\n')
    expect(result.stderr).toBe('Processed a total of 1 messages\n')
  })

  it('refuses --offset without --partition and other combinations Kafka refuses', async () => {
    const bs = broker.bootstrap
    const run = async (extra: string[]): Promise<string> =>
      (await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 't', ...extra])).stderr
    expect(await run(['--offset', '3'])).toBe('ERROR The partition is required when offset is specified.\n')
    expect(await run(['--partition', '0', '--offset', '3', '--from-beginning']))
      .toBe('ERROR Options from-beginning and offset cannot be specified together.\n')
    expect(await run(['--partition', '0', '--group', 'g'])).toBe('ERROR Options group and partition cannot be specified together.\n')
    expect(await run(['--partition', '0', '--offset', 'soon']))
      .toBe("ERROR The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.\n")
  })

  it('reports an unreachable server and a bad line in one line each', async () => {
    const unreachable = await runTool('kafka-console-producer', ['--bootstrap-server', '127.0.0.1:1', '--topic', 't'], 'x\n')
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^ERROR Error when sending message to topic t: cannot reach bootstrap server 127\.0\.0\.1:1: .*\n$/)
    const badLine = await runTool('kafka-console-producer', ['--bootstrap-server', broker.bootstrap, '--topic', uniqueName('bad'),
      '--property', 'parse.key=true'], 'no separator\n')
    expect(badLine).toMatchObject({ code: 1, stderr: "ERROR No key separator found on line number 1: 'no separator'\n" })
  })
})

describe('console producer and consumer against the librdkafka mock cluster', () => {
  let mock: ExternalBroker
  beforeAll(async () => { mock = await startRdmock(['-t', 'lines:1', '-t', 'direct:2']) })
  afterAll(() => mock.close())

  it('round-trips lines', async () => {
    const bs = mock.brokers[0]
    expect((await runTool('kafka-console-producer', ['--topic', 'lines', '--bootstrap-server', bs], 'a\nb\n')).code).toBe(0)
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'lines', '--from-beginning', '--max-messages', '2'])
    expect(consumed).toEqual({ code: 0, stdout: 'a\nb\n', stderr: 'Processed a total of 2 messages\n' })
  })

  it('reads one partition from --offset', async () => {
    const bs = mock.brokers[0]
    const producer = kafkajs([bs]).producer()
    await producer.connect()
    await producer.send({ topic: 'direct', messages: ['p', 'q', 'r'].map((value) => ({ value, partition: 1 })) })
    await producer.disconnect()
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'direct',
      '--partition', '1', '--offset', '1', '--max-messages', '2', '--property', 'print.partition=true'])
    expect(consumed).toEqual({ code: 0, stdout: 'Partition:1\tq\nPartition:1\tr\n', stderr: 'Processed a total of 2 messages\n' })
    const empty = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'direct',
      '--partition', '0', '--offset', 'earliest', '--timeout-ms', '500'])
    expect(empty).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' })
  })
})
