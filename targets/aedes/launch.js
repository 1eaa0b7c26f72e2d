// Starts aedes (the version pinned in package.json) for lastwill's target
// profile targets/aedes.yaml: `node launch.js PORT [HOST]`, or
// `node launch.js --version`. Logs one line per
// connection event and will-topic publication to stdout (the profile keeps it
// as broker.log), and exits on SIGTERM or SIGINT.
import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'

if (process.argv[2] === '--version') {
  const pkg = JSON.parse(readFileSync(new URL('./node_modules/aedes/package.json', import.meta.url)))
  console.log(`aedes ${pkg.version}`)
  process.exit(0)
}
const port = Number(process.argv[2] ?? 1883)
const host = process.argv[3] ?? '127.0.0.1'
const pkg = JSON.parse(readFileSync(new URL('./node_modules/aedes/package.json', import.meta.url)))

const { Aedes } = await import('aedes')
const aedes = await Aedes.createBroker()
const log = (...parts) => console.log(new Date().toISOString(), ...parts)
aedes.on('client', (client) => log('connected', client.id))
aedes.on('clientDisconnect', (client) => log('disconnected', client.id))
aedes.on('clientError', (client, error) => log('client error', client?.id, error.message))
aedes.on('keepaliveTimeout', (client) => log('keep-alive timeout', client.id))
aedes.on('connectionError', (client, error) => log('connection error', error.message))
aedes.on('publish', (packet, client) => {
  if (!client && !packet.topic.startsWith('$SYS')) log('published by the broker (will?)', packet.topic)
})

const server = createServer(aedes.handle)
server.listen(port, host, () => {
  log(`aedes ${pkg.version} on node ${process.version}`)
  console.log(`listening tcp://${host}:${server.address().port}`)
})
const stop = () => server.close(() => aedes.close(() => process.exit(0)))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
