#!/usr/bin/env node
// Run by `npm install`: makes sure a native addon that loads on this platform is there. A prebuilt
// one (next to the package, as the npm tarball ships it, or from the platform package) is used as
// it is; only when none fits is the addon built from source with cargo and placed where
// lib/native-loader.js looks first. --force always builds; --debug builds without optimisations.
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { binaryName, findAddon } = require('../lib/native-loader')

const root = path.resolve(__dirname, '..')
const args = process.argv.slice(2)
const force = args.includes('--force')
const debug = args.includes('--debug')
const target = path.join(root, binaryName())

if (!force) {
  const { from, tried } = findAddon(root)
  if (from) {
    console.log(`ferrokafka: using the prebuilt addon ${path.relative(root, from) || from}`)
    process.exit(0)
  }
  console.log(`ferrokafka: no prebuilt addon fits this platform (${tried.join('; ')}); building it from source with cargo`)
}

const cargoArgs = ['build', '-p', 'ferrokafka', ...(debug ? [] : ['--release'])]
const result = spawnSync('cargo', cargoArgs, { cwd: root, stdio: 'inherit' })
if (result.error) {
  console.error(`ferrokafka: cannot run cargo (${result.error.message}); install Rust from https://rustup.rs to build the addon`)
  process.exit(1)
}
if (result.status !== 0) process.exit(result.status ?? 1)

const libFile = { darwin: 'libferrokafka.dylib', win32: 'ferrokafka.dll' }[process.platform] ?? 'libferrokafka.so'
const ownTargetDir = !process.env.CARGO_TARGET_DIR
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target')
const built = path.join(targetDir, debug ? 'debug' : 'release', libFile)
fs.copyFileSync(built, `${target}.tmp`)
fs.renameSync(`${target}.tmp`, target)
console.log(`ferrokafka: built ${path.basename(target)}`)

// Installed as a dependency, the package keeps only the addon, not cargo's build tree.
if (ownTargetDir && root.split(path.sep).includes('node_modules')) {
  fs.rmSync(targetDir, { recursive: true, force: true })
}
