#!/usr/bin/env node
// Builds the native addon with cargo and places it where lib/native.js loads it from.
// Run by `npm install`; skips the build when a binary for this platform is already present,
// unless --force is given. --debug builds without optimisations.
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { binaryName } = require('../lib/native-name')

const root = path.resolve(__dirname, '..')
const args = process.argv.slice(2)
const force = args.includes('--force')
const debug = args.includes('--debug')
const target = path.join(root, binaryName())

if (!force && fs.existsSync(target)) {
  process.exit(0)
}

const cargoArgs = ['build', '-p', 'ferrokafka', ...(debug ? [] : ['--release'])]
const result = spawnSync('cargo', cargoArgs, { cwd: root, stdio: 'inherit' })
if (result.error) {
  console.error(`ferrokafka: cannot run cargo (${result.error.message}); install Rust from https://rustup.rs to build the addon`)
  process.exit(1)
}
if (result.status !== 0) process.exit(result.status ?? 1)

const libFile = { darwin: 'libferrokafka.dylib', win32: 'ferrokafka.dll' }[process.platform] ?? 'libferrokafka.so'
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target')
const built = path.join(targetDir, debug ? 'debug' : 'release', libFile)
fs.copyFileSync(built, `${target}.tmp`)
fs.renameSync(`${target}.tmp`, target)
console.log(`ferrokafka: built ${path.basename(target)}`)
