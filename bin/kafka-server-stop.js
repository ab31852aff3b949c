#!/usr/bin/env node
// kafka-server-stop.sh: `ferrokafka server-stop`.
'use strict'

require('./run-tool')('server-stop')
