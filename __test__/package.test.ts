// The npm package as a user gets it. `npm pack` makes the tarball; a fresh Node project in the
// system's temp directory installs it (with jest, typescript and kafkajs from the registry, served
// from the local npm cache) and uses it from CommonJS, an ES module, TypeScript (node16 and bundler
// resolution) and Jest with the `ferrokafka/jest` preset. A Jest suite written for kafkajs passes
// against a broker address, then again after only its import and one line of Jest config change.
// The install runs without cargo on PATH, so it can only pass by using the prebuilt addon. The
// source fallback's decisions are checked on a copy of the installed package with a stand-in
// cargo: a real release build of the addon takes minutes (it was checked by hand; see the README).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createBroker } from '..'

const { platformTuple } = require('../lib/native-loader')

const root = path.resolve(__dirname, '..')
const fixtures = path.join(__dirname, 'package')
const tuple: string = platformTuple()
const addonFile = `ferrokafka.${tuple}.node`
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

/** Registry packages the scratch project installs, at the versions this repository uses (cached). */
const registryPackages = ['jest', 'typescript', 'kafkajs', '@types/node'].map(
  (name) => `${name}@${JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version}`
)

/** PATH without any directory that holds cargo: whatever runs with it cannot build from source. */
const pathWithoutCargo = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !fs.existsSync(path.join(dir, 'cargo'))).join(path.delimiter)

/** The environment of a program a user starts: none of the variables npm or this Jest run set. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|JEST_WORKER_ID$|KAFKA_BROKERS$)/i.test(name)) env[name] = value
  }
  return { ...env, PATH: pathWithoutCargo, ...extra }
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number }

/** Runs a program to its end; one still running after `timeoutMs` is killed (and fails its test). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv(), timeoutMs = 120000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid! }))
  })
}

/** The lines of `after` that differ from `before` at the same place, or, if it has more lines, that `before` lacks. */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const added = b.filter((line) => !a.includes(line))
  return b.length === a.length ? b.filter((line, i) => line !== a[i]) : added
}

/** Files under `dir`, relative to the repository root. */
function walk(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name)
    return entry.isDirectory() ? walk(rel) : [rel]
  })
}

/** Rust files only compiled for `cargo test`, which the tarball leaves out. */
const testOnlyRust = /(^|\/)(tests|[a-z_]+_tests|test_support)\.rs$/

let scratch: string
let tarballFiles: string[]
let install: Run
const node = process.execPath
const jestBin = (): string => path.join(scratch, 'node_modules', 'jest', 'bin', 'jest.js')

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'ferrokafka-package-'))
  const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], root, process.env)
  expect(packed.code).toBe(0)
  const [summary] = JSON.parse(packed.stdout)
  tarballFiles = summary.files.map((f: { path: string }) => f.path)

  fs.cpSync(fixtures, scratch, { recursive: true })
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-service', version: '1.0.0', private: true }))
  install = await run('npm', [
    'install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts',
    path.join(scratch, summary.filename), ...registryPackages
  ], scratch, userEnv(), 280000)
}, 300000)

afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
})

describe('the tarball', () => {
  it('carries the package and everything a source build needs, and no tests, benches or build leftovers', () => {
    const required = [
      'package.json', 'README.md', 'index.js', 'index.mjs', 'index.d.ts', 'lib/native-loader.js', 'bin/ferrokafka.js', 'config/server.properties',
      'jest/jest-preset.js', 'jest/global-setup.js', 'jest/global-teardown.js', 'jest/index.js', 'jest/index.mjs', 'jest/index.d.ts',
      'scripts/build.js', addonFile, 'Cargo.toml', 'Cargo.lock', 'build.rs'
    ]
    const crates = fs.readdirSync(path.join(root, 'crates'))
    const rustSources = ['src', ...crates.map((c) => `crates/${c}/src`)].flatMap(walk).filter((f) => !testOnlyRust.test(f))
    expect(tarballFiles).toEqual(expect.arrayContaining([...required, ...crates.map((c) => `crates/${c}/Cargo.toml`), ...rustSources]))

    const leftovers = tarballFiles.filter((f) =>
      /(^|\/)(__test__|tests|benches|bench|fuzz|target|examples|peers|npm|node_modules|docs)\//.test(f) ||
      testOnlyRust.test(f) || /\.(tmp|tgz|log)$/.test(f))
    expect(leftovers).toEqual([])
  })

  it('leaves out only Rust modules that are compiled for tests alone', () => {
    const excluded = ['src', ...fs.readdirSync(path.join(root, 'crates')).map((c) => `crates/${c}/src`)].flatMap(walk)
      .filter((f) => testOnlyRust.test(f)).map((f) => path.basename(f, '.rs'))
    const shipped = tarballFiles.filter((f) => f.endsWith('.rs')).map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n')
    const declared = Array.from(shipped.matchAll(/(#\[cfg\(test\)\]\s*)?(?:\bpub(?:\([^)]*\))?\s+)?\bmod (\w+);/g), (m) => ({ name: m[2], testOnly: m[1] !== undefined }))
    for (const name of new Set(excluded)) {
      expect(declared.filter((d) => d.name === name)).toEqual(expect.arrayContaining([{ name, testOnly: true }]))
      expect(declared.filter((d) => d.name === name && !d.testOnly)).toEqual([])
    }
  })

  it('installs with its prebuilt addon: cargo is not on PATH, and nothing is built', () => {
    expect(install.stderr).not.toMatch(/npm (ERR!|error)/)
    expect(install.code).toBe(0)
    expect(install.stdout).toContain(`ferrokafka: using the prebuilt addon ${addonFile}`)
    const installed = path.join(scratch, 'node_modules', 'ferrokafka')
    expect(fs.existsSync(path.join(installed, addonFile))).toBe(true)
    expect(fs.existsSync(path.join(installed, 'target'))).toBe(false)
  })
})

describe('napi-rs publishing layout', () => {
  const tuples: Record<string, { os: string; cpu: string; libc?: string }> = {
    'linux-x64-gnu': { os: 'linux', cpu: 'x64', libc: 'glibc' },
    'linux-arm64-gnu': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
    'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
    'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
    'darwin-x64': { os: 'darwin', cpu: 'x64' },
    'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
    'win32-x64-msvc': { os: 'win32', cpu: 'x64' }
  }

  it('has a platform package in npm/ for each napi target, at the package version, and no runtime dependencies', () => {
    expect(rootPackage.napi.targets).toHaveLength(Object.keys(tuples).length)
    expect(fs.readdirSync(path.join(root, 'npm')).sort()).toEqual(Object.keys(tuples).sort())
    for (const [dir, { os: platform, cpu, libc }] of Object.entries(tuples)) {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'npm', dir, 'package.json'), 'utf8'))
      expect(pkg).toMatchObject({
        name: `ferrokafka-${dir}`,
        version: rootPackage.version,
        os: [platform],
        cpu: [cpu],
        main: `ferrokafka.${dir}.node`,
        files: [`ferrokafka.${dir}.node`]
      })
      expect(pkg.libc).toEqual(libc ? [libc] : undefined)
    }
    expect(rootPackage.dependencies).toBeUndefined()
    expect(rootPackage.optionalDependencies).toBeUndefined()
  })
})

describe('a fresh Node project using the installed package', () => {
  it('runs a CommonJS program, which exits on its own', async () => {
    const result = await run(node, ['cjs.js'], scratch)
    expect(result.stderr).toBe('')
    expect([result.code, JSON.parse(result.stdout)]).toEqual([0, { value: 'from CommonJS' }])
  })

  it('runs an ES module program', async () => {
    const result = await run(node, ['esm.mjs'], scratch)
    expect(result.stderr).toBe('')
    expect([result.code, JSON.parse(result.stdout)]).toEqual([0, { created: true, sent: 1, sameModule: true }])
  })

  it.each([
    ['node16', ', checking the declaration files themselves (no skipLibCheck)'],
    ['bundler', '']
  ])('type-checks TypeScript with %s module resolution%s', async (resolution) => {
    const result = await run(node, [path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], scratch)
    expect(result.stdout + result.stderr).toBe('')
    expect(result.code).toBe(0)
  })
})

describe('a Jest suite written for kafkajs', () => {
  const suite = path.join(fixtures, 'kafkajs-app')
  const testFiles = fs.readdirSync(suite).filter((f) => f.endsWith('.test.js'))

  it('passes with kafkajs against a broker given in KAFKA_BROKERS', async () => {
    await using broker = await createBroker()
    const result = await run(node, [jestBin(), '--ci', '--cacheDirectory', path.join(scratch, '.jest-kafkajs')], path.join(scratch, 'kafkajs-app'),
      userEnv({ KAFKA_BROKERS: broker.brokers.join(',') }))
    expect(result.stderr).toContain(`Tests:       ${testFiles.length} passed, ${testFiles.length} total`)
    expect(result.code).toBe(0)
  })

  describe('with its import swapped for ferrokafka and the preset added to its Jest config', () => {
    let app: string

    beforeAll(() => {
      app = path.join(scratch, 'ferrokafka-app')
      fs.mkdirSync(app)
      for (const file of testFiles) {
        const source = fs.readFileSync(path.join(suite, file), 'utf8')
        const adopted = source.replace("require('kafkajs')", "require('ferrokafka')")
        expect(changedLines(source, adopted)).toHaveLength(1)
        fs.writeFileSync(path.join(app, file), adopted)
      }
      const config = fs.readFileSync(path.join(suite, 'jest.config.js'), 'utf8')
      const adoptedConfig = config.replace('module.exports = {\n', "module.exports = {\n  preset: 'ferrokafka/jest',\n")
      expect(changedLines(config, adoptedConfig)).toEqual(["  preset: 'ferrokafka/jest',"])
      fs.writeFileSync(path.join(app, 'jest.config.js'), adoptedConfig)
      // One more file, beside the adopted ones: the helpers of ferrokafka/jest.
      fs.copyFileSync(path.join(fixtures, 'helpers.test.js'), path.join(app, 'helpers.test.js'))
    })

    it('passes in Jest workers, which reach the broker of the globalSetup process over TCP', async () => {
      const pidFile = path.join(scratch, 'helpers-pid-workers')
      const result = await run(node, [jestBin(), '--ci', '--maxWorkers=2', '--cacheDirectory', path.join(scratch, '.jest-workers')], app,
        userEnv({ PID_FILE: pidFile }))
      expect(result.stderr).toContain(`Tests:       ${testFiles.length + 1} passed, ${testFiles.length + 1} total`)
      expect(result.code).toBe(0)
      expect(Number(fs.readFileSync(pidFile, 'utf8'))).not.toBe(result.pid)
    })

    it('passes in band with --detectOpenHandles, which finds none, and Jest exits on its own', async () => {
      const pidFile = path.join(scratch, 'helpers-pid-in-band')
      const result = await run(node, [jestBin(), '--ci', '--runInBand', '--detectOpenHandles', '--cacheDirectory', path.join(scratch, '.jest-in-band')], app,
        userEnv({ PID_FILE: pidFile }))
      expect(result.stderr).toContain(`Tests:       ${testFiles.length + 1} passed, ${testFiles.length + 1} total`)
      expect(result.stderr).not.toMatch(/open handle|did not exit/i)
      expect([result.code, result.signal]).toEqual([0, null])
      expect(Number(fs.readFileSync(pidFile, 'utf8'))).toBe(result.pid)
    })

    it('gets the same broker from globalSetup/globalTeardown entries, for a project that has another preset', async () => {
      const config = path.join(app, 'entries.config.js')
      fs.writeFileSync(config, "module.exports = { globalSetup: 'ferrokafka/jest/global-setup', globalTeardown: 'ferrokafka/jest/global-teardown' }\n")
      const result = await run(node, [jestBin(), '--ci', '--config', config, '--cacheDirectory', path.join(scratch, '.jest-entries'), 'helpers'], app)
      expect(result.stderr).toContain('Tests:       1 passed, 1 total')
      expect([result.code, result.signal]).toEqual([0, null])
    })
  })
})

describe('install-time choice between the prebuilt addon and a source build', () => {
  let pkg: string
  let cargoLog: string
  let fakeCargoPath: string

  const build = (envPath: string): Promise<Run> => run(node, ['scripts/build.js'], pkg, userEnv({ PATH: envPath, FAKE_CARGO_LOG: cargoLog }))
  const cargoCalls = (): string[] => (fs.existsSync(cargoLog) ? fs.readFileSync(cargoLog, 'utf8').trim().split('\n') : [])
  const loads = async (): Promise<Run> => run(node, ['-e', "require('ferrokafka'); console.log('loaded')"], path.dirname(path.dirname(pkg)))

  beforeAll(() => {
    // A copy of the installed package, and a cargo that "builds" by copying the real addon.
    const app = path.join(scratch, 'fallback')
    pkg = path.join(app, 'node_modules', 'ferrokafka')
    fs.cpSync(path.join(scratch, 'node_modules', 'ferrokafka'), pkg, { recursive: true })
    const builtAddon = path.join(scratch, 'addon-from-cargo.node')
    fs.copyFileSync(path.join(pkg, addonFile), builtAddon)
    const bin = path.join(scratch, 'fake-cargo')
    fs.mkdirSync(bin)
    fs.writeFileSync(path.join(bin, 'cargo'), `#!/bin/sh\necho "$PWD $*" >> "$FAKE_CARGO_LOG"\nmkdir -p target/release && cp '${builtAddon}' target/release/libferrokafka.so\n`, { mode: 0o755 })
    fakeCargoPath = [bin, pathWithoutCargo].join(path.delimiter)
    cargoLog = path.join(scratch, 'cargo-calls.log')
  })

  it('builds from source with cargo when no prebuilt addon is there, and installs the result', async () => {
    fs.rmSync(path.join(pkg, addonFile))
    const result = await build(fakeCargoPath)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('no prebuilt addon fits this platform')
    expect(result.stdout).toContain(`${addonFile}: not found`)
    expect(result.stdout).toContain(`ferrokafka-${tuple}: not installed`)
    expect(cargoCalls()).toEqual([`${pkg} build -p ferrokafka --release`])
    expect(fs.existsSync(path.join(pkg, 'target'))).toBe(false)
    expect((await loads()).stdout).toBe('loaded\n')
  })

  it('builds from source when the prebuilt addon is there but does not load', async () => {
    fs.writeFileSync(path.join(pkg, addonFile), 'not a shared library')
    const result = await build(fakeCargoPath)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`${addonFile}: found, but it does not load`)
    expect(cargoCalls()).toHaveLength(2)
    expect((await loads()).stdout).toBe('loaded\n')
  })

  it('uses the platform package when it is installed, without building', async () => {
    fs.rmSync(path.join(pkg, addonFile))
    const platformPackage = path.join(path.dirname(pkg), `ferrokafka-${tuple}`)
    fs.mkdirSync(platformPackage)
    fs.copyFileSync(path.join(root, 'npm', tuple, 'package.json'), path.join(platformPackage, 'package.json'))
    fs.copyFileSync(path.join(scratch, 'addon-from-cargo.node'), path.join(platformPackage, addonFile))
    const result = await build(fakeCargoPath)
    const load = await loads()
    fs.rmSync(platformPackage, { recursive: true })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`ferrokafka: using the prebuilt addon ../ferrokafka-${tuple}/${addonFile}`)
    expect(cargoCalls()).toHaveLength(2)
    expect(load.stdout).toBe('loaded\n')
  })

  it('says how to get Rust when it must build and cargo is missing, and the loader explains what it tried', async () => {
    const result = await build(pathWithoutCargo)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('cannot run cargo')
    expect(result.stderr).toContain('https://rustup.rs')
    const load = await loads()
    expect(load.code).not.toBe(0)
    expect(load.stderr).toContain(`ferrokafka: no native addon for ${tuple} could be loaded. Tried:`)
    expect(load.stderr).toContain(`${path.join(pkg, addonFile)}: not found`)
    expect(load.stderr).toContain(`ferrokafka-${tuple}: not installed`)
    expect(load.stderr).toContain('npm rebuild ferrokafka')
  })
})
