// Finds and loads the native addon for this platform, the way napi-rs packages do: first the
// binary next to the package (shipped in the tarball, or built from source by scripts/build.js),
// then the platform package (ferrokafka-linux-x64-gnu, ...) that a published install brings as an
// optional dependency. When neither loads, the error says what was tried and how to fix it.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')

/** The C library of a Linux system: napi-rs's `gnu` or `musl`. */
function linuxLibc () {
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
  return report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'
}

/** napi-rs's name for this platform, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
function platformTuple () {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') return `${base}-${linuxLibc()}`
  if (process.platform === 'win32') return `${base}-msvc`
  return base
}

/** The addon's file name for this platform, e.g. `ferrokafka.linux-x64-gnu.node`. */
function binaryName () {
  return `ferrokafka.${platformTuple()}.node`
}

/** The npm package that carries this platform's prebuilt addon, e.g. `ferrokafka-linux-x64-gnu`. */
function platformPackage () {
  return `ferrokafka-${platformTuple()}`
}

/** Where the package root lives; `root` is only given by scripts/build.js and its tests. */
function candidates (root = ROOT) {
  const file = path.join(root, binaryName())
  const pkg = platformPackage()
  let resolved = null
  try {
    resolved = require.resolve(pkg, { paths: [root] })
  } catch (_) {}
  return [
    { name: file, path: fs.existsSync(file) ? file : null, missing: 'not found' },
    { name: pkg, path: resolved, missing: 'not installed' }
  ]
}

/**
 * Loads the first candidate that loads. Resolves to `{ addon, from }`, or `{ tried }` with one
 * line per candidate saying why it was not used.
 */
function findAddon (root) {
  const tried = []
  for (const candidate of candidates(root)) {
    if (!candidate.path) {
      tried.push(`${candidate.name}: ${candidate.missing}`)
      continue
    }
    try {
      return { addon: require(candidate.path), from: candidate.path }
    } catch (error) {
      tried.push(`${candidate.name}: found, but it does not load (${error.message.split('\n')[0]})`)
    }
  }
  return { tried }
}

/** The addon, or an error that explains what was tried and how to get a working one. */
function loadAddon () {
  const { addon, tried } = findAddon()
  if (addon) return addon
  throw new Error([
    `ferrokafka: no native addon for ${platformTuple()} could be loaded. Tried:`,
    ...tried.map((line) => `  - ${line}`),
    'Build it from source with `npm rebuild ferrokafka` (needs Rust: https://rustup.rs),',
    `or install the prebuilt package for this platform if one is published: \`npm install ${platformPackage()}\`.`
  ].join('\n'))
}

module.exports = { platformTuple, binaryName, platformPackage, findAddon, loadAddon }
