// kafka-consumer-groups (bin/kafka-consumer-groups.js): lists, describes (offsets and lag in
// Kafka's table, or members), deletes a group that kafka-console-consumer committed in, and
// resets its offsets (checked with kafkajs's admin.fetchOffsets).
import { runTool, startCliBroker, startTool, type CliBroker } from './helpers/cli'
import { kafkajs, uniqueName } from './helpers/kafka'

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

  /** The group's committed offsets of `topic`, by partition, as kafkajs reads them. */
  async function committed (group: string, topic: string): Promise<Record<number, string>> {
    const admin = kafkajs([broker.bootstrap]).admin()
    await admin.connect()
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
      return Object.fromEntries(offsets.partitions.map((p) => [p.partition, p.offset]))
    } finally {
      await admin.disconnect()
    }
  }

  /** A topic of two partitions holding 3 and 2 messages, and a group that committed 1 and 2. */
  async function groupAtOneAndTwo (): Promise<{ topic: string, group: string }> {
    const topic = uniqueName('resettable')
    const group = uniqueName('reset')
    const admin = kafkajs([broker.bootstrap]).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
      const producer = kafkajs([broker.bootstrap]).producer()
      await producer.connect()
      await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ value, partition: 0 })) })
      await producer.send({ topic, messages: ['d', 'e'].map((value) => ({ value, partition: 1 })) })
      await producer.disconnect()
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '2' }] })
    } finally {
      await admin.disconnect()
    }
    return { topic, group }
  }

  const resetTable = (rows: string[][]): string =>
    ['', ...[['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...rows].map(([g, t, p, o]) =>
      `${g.padEnd(30)} ${t.padEnd(30)} ${p.padEnd(10)} ${o.padEnd(15)}`)].join('\n') + '\n'

  it('prints the reset plan without --execute and commits it with --execute', async () => {
    const bs = broker.bootstrap
    const { topic, group } = await groupAtOneAndTwo()
    const dryRun = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--group', group,
      '--reset-offsets', '--topic', topic, '--to-earliest'])
    expect(dryRun.code).toBe(0)
    expect(dryRun.stdout).toBe(resetTable([[group, topic, '0', '0'], [group, topic, '1', '0']]))
    expect(dryRun.stderr).toMatch(/^WARN: No action will be performed as the --execute option is missing\./)
    expect(await committed(group, topic)).toEqual({ 0: '1', 1: '2' })

    const explicit = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--group', group,
      '--reset-offsets', '--topic', topic, '--to-latest', '--dry-run'])
    expect(explicit).toEqual({ code: 0, stdout: resetTable([[group, topic, '0', '3'], [group, topic, '1', '2']]), stderr: '' })
    expect(await committed(group, topic)).toEqual({ 0: '1', 1: '2' })

    const executed = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--group', group,
      '--reset-offsets', '--topic', topic, '--to-earliest', '--execute'])
    expect(executed).toEqual({ code: 0, stdout: resetTable([[group, topic, '0', '0'], [group, topic, '1', '0']]), stderr: '' })
    expect(await committed(group, topic)).toEqual({ 0: '0', 1: '0' })
  })

  it('resets to an offset, by a shift, to a time, per partition or for every committed topic', async () => {
    const bs = broker.bootstrap
    const { topic, group } = await groupAtOneAndTwo()
    const reset = async (args: string[]): Promise<string> => {
      const result = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--group', group, '--reset-offsets', '--execute', ...args])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      return result.stdout
    }
    expect(await reset(['--topic', `${topic}:0`, '--to-offset', '2'])).toBe(resetTable([[group, topic, '0', '2']]))
    expect(await committed(group, topic)).toEqual({ 0: '2', 1: '2' })
    await reset(['--all-topics', '--shift-by', '-1'])
    expect(await committed(group, topic)).toEqual({ 0: '1', 1: '1' })
    await reset(['--topic', topic, '--to-offset', '10'])
    expect(await committed(group, topic)).toEqual({ 0: '3', 1: '2' })
    await reset(['--topic', topic, '--shift-by', '-5'])
    expect(await committed(group, topic)).toEqual({ 0: '0', 1: '0' })
    await reset(['--topic', topic, '--to-datetime', '2999-01-01T00:00:00.000'])
    expect(await committed(group, topic)).toEqual({ 0: '3', 1: '2' })
    await reset(['--topic', `${topic}:1`, '--to-datetime', '2000-01-01T00:00:00.000+02:00'])
    expect(await committed(group, topic)).toEqual({ 0: '3', 1: '0' })
  })

  it('refuses to reset a group that has members, as Kafka does', async () => {
    const bs = broker.bootstrap
    const { topic, group } = await groupAtOneAndTwo()
    const member = startTool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic, '--group', group])
    await member.waitForOutput(/b\n/, 'a message, once the member joined')
    const refused = await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--group', group,
      '--reset-offsets', '--topic', topic, '--to-earliest', '--execute'])
    expect(refused.stdout).toBe(resetTable([]))
    expect(refused.stderr).toBe(`\nError: Assignments can only be reset if the group '${group}' is inactive, but the current state is Stable.\n`)
    member.child.kill('SIGINT')
    expect((await member.exited).code).toBe(0)
    expect(await committed(group, topic)).toEqual({ 0: '3', 1: '2' })
  })

  it('checks the reset options as Kafka does', async () => {
    const bs = broker.bootstrap
    const run = async (args: string[]): Promise<string> =>
      (await runTool('kafka-consumer-groups', ['--bootstrap-server', bs, '--reset-offsets', '--dry-run', ...args])).stderr
    expect(await run(['--topic', 't', '--to-earliest'])).toBe('Error: Option [reset-offsets] takes one of these options: [all-groups], [group]\n')
    expect(await run(['--group', 'g', '--to-earliest'])).toBe('Error: One of the reset scopes should be defined: --all-topics, --topic.\n')
    expect(await run(['--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'])).toBe('Error: Option "[to-earliest]" can\'t be used with option "[to-latest]"\n')
    expect(await run(['--group', 'g', '--topic', 't:x', '--to-earliest'])).toBe("Error: Invalid partition 'x' specified in topic arg 't:x''\n")
    expect(await run(['--group', 'g', '--topic', 't', '--to-datetime', 'yesterday'])).toMatch(/^Error: .*ISO8601/)
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
