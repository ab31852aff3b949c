#!/usr/bin/env node
// The `ferrokafka` command: Kafka's command-line tools, run by the native addon. Node keeps the
// process's signals: Ctrl-C and SIGTERM ask a running command to stop cleanly.
'use strict'

const { runCli, stopCli } = require('../lib/native')

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopCli())

runCli(['ferrokafka', ...process.argv.slice(2)]).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.message)
    process.exit(1)
  }
)
