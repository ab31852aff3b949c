#!/usr/bin/env node
// The `ferrokafka` command: Kafka's command-line tools as subcommands, run by the native addon.
'use strict'

require('./run-tool')(null)
