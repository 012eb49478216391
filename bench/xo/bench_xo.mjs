// The bench's Node.js baseline: Xen Orchestra's `xen-api` client against the simulator.
//
//   node bench_xo.mjs NODE_MODULES_DIR URL USER PASSWORD TRANSPORT
//
// Logs in once and prints "ready", then answers commands read from standard input, one line
// each, so that the Rust bench can alternate XO's runs with its own on the same server:
//   drain TOKEN EXPECTED  ->  "drain EVENTS SECONDS": event.from(["vm"], TOKEN) repeated with
//                            each returned token until EXPECTED events arrived (or 60 s)
//   records               ->  "records N SECONDS": one VM.get_all_records
// Times are taken around the client's calls, whose results are the parsed responses (the
// JSON-RPC transport runs JSON.parse on the whole body, the XML-RPC one its XML parser).

import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const [modules, url, user, password, transport] = process.argv.slice(2)
const entry = createRequire(join(modules, 'noop.js')).resolve('xen-api')
const { createClient } = await import(pathToFileURL(entry).href)

const xapi = createClient({ url, auth: { user, password }, allowUnauthorized: true, transport })
await xapi.connect()
process.stdout.write('ready\n')

const seconds = start => Number(process.hrtime.bigint() - start) / 1e9

async function drain(token, expected) {
  const start = process.hrtime.bigint()
  let events = 0
  while (events < expected && seconds(start) < 60) {
    // A float, as XO's own event loop sends it (the XML-RPC transport keeps it a <double>).
    const batch = await xapi.call('event.from', ['vm'], token, 1.1)
    events += batch.events.length
    token = batch.token
  }
  return `drain ${events} ${seconds(start)}`
}

async function records() {
  const start = process.hrtime.bigint()
  const all = await xapi.call('VM.get_all_records')
  return `records ${Object.keys(all).length} ${seconds(start)}`
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/)
  let answer
  if (command === 'drain') {
    answer = await drain(args[0] ?? '', Number(args[1]))
  } else if (command === 'records') {
    answer = await records()
  } else {
    answer = `error unknown command ${JSON.stringify(command)}`
  }
  process.stdout.write(answer + '\n')
}
await xapi.disconnect()
