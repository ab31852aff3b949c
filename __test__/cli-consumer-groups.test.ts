// kafka-consumer-groups (bin/kafka-consumer-groups.js): lists, describes (offsets and lag in
// Kafka's table, or members) and deletes a group that kafka-console-consumer committed in.
import { runTool, startCliBroker, type CliBroker } from './helpers/cli'
import { uniqueName } from './helpers/kafka'

describe('kafka-consumer-groups against a broker started by kafka-server-start', () => {
  let broker: CliBroker
  beforeAll(async () => { broker = await startCliBroker() })
  afterAll(async () => { expect((await broker.stop()).code).toBe(0) })

  it('lists, describes and deletes a group', async () => {
    const bs = broker.bootstrap
    const topic = uniqueName('grouped')
    const g1 = uniqueName('g1')
    expect((await runTool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic], 'a\nb\nc\n')).code).toBe(0)
    const consumed = await runTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic,
      '--group', g1, '--from-beginning', '--max-messages', '2'])
    expect(consumed).toMatchObject({ code: 0, stdout: 'a\nb\n' })

    const listed = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--list'])
    expect(listed.code).toBe(0)
    expect(listed.stdout.split('\n')).toContain(g1)

    const described = await runTool('kafka-consumer-groups', `--bootstrap-server ${bs} --describe --group ${g1}`.split(' '))
    expect(described.code).toBe(0)
    const lines = described.stdout.split('\n')
    expect(lines[1]).toBe(`Consumer group '${g1}' has no active members.`)
    expect(lines[3].split(/ +/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])
    expect(lines[4].split(/ +/)).toEqual([g1, topic, '0', '2', '3', '1', '-', '-', '-'])

    const deleted = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--delete', '--group', g1])
    expect(deleted).toMatchObject({ code: 0, stdout: `Deletion of requested consumer groups ('${g1}') was successful.\n` })
    const after = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--list'])
    expect(after.stdout.split('\n')).not.toContain(g1)
  })

  it('reports a missing group and an unreachable server in one line', async () => {
    const missing = uniqueName('missing')
    const result = await runTool('kafka-consumer-groups', ['--bootstrap-server', broker.bootstrap, '--describe', '--group', missing])
    expect(result).toEqual({ code: 1, stdout: '', stderr: `Error: Consumer group '${missing}' does not exist.\n` })
    const unreachable = await runTool('kafka-consumer-groups', ['--bootstrap-server', '127.0.0.1:1', '--list'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^Error: cannot reach bootstrap server 127\.0\.0\.1:1: .*\n$/)
  })
})
