#!/usr/bin/env node
// The `ferrokafka` command: Kafka's command-line tools, run by the native addon.
'use strict'

const { runCli } = require('../lib/native')

process.exitCode = runCli(['ferrokafka', ...process.argv.slice(2)])
