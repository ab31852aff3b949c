// Running the package's command-line tools as a user would (`node bin/<script>.js ...`): a
// broker started by server-start from a server.properties, and one-shot or long-running tools.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const binDir = path.resolve(__dirname, '..', '..', 'bin')

/** What a finished tool printed and its exit code. */
export interface ToolResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A tool still running: its output so far, a way to wait for a line, and its end. */
export interface RunningTool {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  waitForOutput: (pattern: RegExp, what: string) => Promise<RegExpExecArray>
  exited: Promise<ToolResult>
}

/** Starts `bin/<script>.js` with `args`. */
export function startTool(script: string, args: string[], options: { cwd?: string } = {}): RunningTool {
  const child = spawn(process.execPath, [path.join(binDir, `${script}.js`), ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd })
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  const wake = (): void => { for (const w of waiters.splice(0)) w() }
  child.stdout!.on('data', (chunk) => { out += chunk; wake() })
  child.stderr!.on('data', (chunk) => { err += chunk; wake() })
  const exited = new Promise<ToolResult>((resolve) => child.on('close', (code) => {
    wake()
    resolve({ code, stdout: out, stderr: err })
  }))
  let done = false
  void exited.then(() => { done = true })
  const waitForOutput = async (pattern: RegExp, what: string): Promise<RegExpExecArray> => {
    for (;;) {
      const match = pattern.exec(out + err)
      if (match) return match
      if (done) throw new Error(`${script} exited before printing ${what}:\n${out}\n${err}`)
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
  return { child, stdout: () => out, stderr: () => err, waitForOutput, exited }
}

/** Runs `bin/<script>.js` with `args` to its end, feeding `input` on stdin. */
export async function runTool(script: string, args: string[], input = ''): Promise<ToolResult> {
  const tool = startTool(script, args)
  tool.child.stdin!.end(input)
  return tool.exited
}

/** A broker run by `kafka-server-start` from a server.properties in a fresh directory. */
export interface CliBroker {
  bootstrap: string
  dir: string
  stop: () => Promise<ToolResult>
}

/** Writes a server.properties (`extra` lines added) and starts kafka-server-start on it. */
export async function startCliBroker(extra: string[] = []): Promise<CliBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferrokafka-cli-'))
  const config = path.join(dir, 'server.properties')
  writeFileSync(config, ['node.id=1', 'listeners=PLAINTEXT://127.0.0.1:0', ...extra].join('\n') + '\n')
  const server = startTool('kafka-server-start', [config])
  const [, bootstrap] = await server.waitForOutput(/started: listening on (\S+)/, 'its address')
  return {
    bootstrap,
    dir,
    async stop () {
      server.child.kill('SIGTERM')
      const result = await server.exited
      rmSync(dir, { recursive: true, force: true })
      return result
    }
  }
}
