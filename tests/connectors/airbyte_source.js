#!/usr/bin/env node
// An Airbyte source for ingestd's tests, written on faros-airbyte-cdk.
// One stream, items: incremental on updated_at, key id. Config keys:
//   api_key (required, secret)  checked by `check`
//   items                       how many records (default 50)
//   state_type                  LEGACY (the CDK's own, compressed unless
//                               compress_state = false), STREAM or GLOBAL
//   fail_after, failure_type    throw after that many records; the TRACE
//                               error carries failure_type (default system_error)
//   fail_marker                 fail only while this file exists (it is removed)
'use strict';
const fs = require('fs');
const path = require('path');
const cdk = require(path.join(process.env.NPM_PREFIX, 'node_modules', 'faros-airbyte-cdk'));
const {VError} = require(path.join(process.env.NPM_PREFIX, 'node_modules', 'verror'));

const BASE = Date.UTC(2026, 0, 1);

class Items extends cdk.AirbyteStreamBase {
  constructor(logger, config) {
    super(logger);
    this.config = config;
  }
  getJsonSchema() {
    return {
      type: 'object',
      properties: {
        id: {type: 'integer'},
        title: {type: ['null', 'string']},
        updated_at: {type: 'string', format: 'date-time'},
        labels: {type: ['null', 'array'], items: {type: 'string'}},
      },
    };
  }
  get primaryKey() { return 'id'; }
  get cursorField() { return 'updated_at'; }
  get stateCheckpointInterval() { return 10; }
  async *readRecords(syncMode, cursorField, streamSlice, streamState) {
    const since = syncMode === cdk.SyncMode.INCREMENTAL ? streamState?.updated_at : undefined;
    const c = this.config;
    let sent = 0;
    for (let i = 1; i <= (c.items ?? 50); i++) {
      const updated_at = new Date(BASE + i * 1000).toISOString();
      if (since && updated_at <= since) continue;
      if (c.fail_after !== undefined && sent >= c.fail_after && (!c.fail_marker || fs.existsSync(c.fail_marker))) {
        if (c.fail_marker) fs.unlinkSync(c.fail_marker);
        const err = new VError('items endpoint answered 502 after %d records', sent);
        this.logger.traceError(err, c.failure_type ?? 'system_error');
        throw err;
      }
      sent++;
      yield {id: i, title: `item ${i}`, updated_at, labels: [`l${i % 4}`]};
    }
  }
  getUpdatedState(current, latest) {
    return {updated_at: current?.updated_at > latest.updated_at ? current.updated_at : latest.updated_at};
  }
}

class Source extends cdk.AirbyteSourceBase {
  get type() { return 'ingestd-test'; }
  async spec() {
    return new cdk.AirbyteSpec({
      connectionSpecification: {
        type: 'object',
        required: ['api_key'],
        additionalProperties: false,
        properties: {
          api_key: {type: 'string', airbyte_secret: true},
          items: {type: 'integer'},
          state_type: {type: 'string', enum: ['LEGACY', 'STREAM', 'GLOBAL']},
          compress_state: {type: 'boolean'},
          fail_after: {type: 'integer'},
          failure_type: {type: 'string'},
          fail_marker: {type: 'string'},
        },
      },
    });
  }
  async checkConnection(config) {
    if (config.api_key === 'key-good-123') return [true, undefined];
    return [false, new VError('the API refused the key')];
  }
  streams(config) { return [new Items(this.logger, config)]; }

  // STREAM state: the CDK speaks LEGACY; this source turns each state into
  // per-stream messages and reads them back.
  async *read(config, redacted, catalog, state) {
    let legacy = state;
    if (Array.isArray(state)) {
      legacy = {};
      for (const s of state) {
        if (s.type === 'GLOBAL') {
          for (const g of s.global.stream_states) legacy[g.stream_descriptor.name] = g.stream_state;
        } else {
          legacy[s.stream.stream_descriptor.name] = s.stream.stream_state;
        }
      }
      this.logger.info(`states received: ${JSON.stringify(state)}`);
    }
    for await (const m of super.read(config, redacted, catalog, legacy)) {
      if (config.state_type === 'STREAM' && m.type === 'STATE') {
        if (m.sourceStatus) continue;
        const data = cdk.Data.decompress(m.state.data);
        for (const [name, s] of Object.entries(data))
          yield {type: 'STATE', state: {type: 'STREAM', stream: {stream_descriptor: {name}, stream_state: s}}};
      } else if (config.state_type === 'GLOBAL' && m.type === 'STATE') {
        if (m.sourceStatus) continue;
        const data = cdk.Data.decompress(m.state.data);
        const stream_states = Object.entries(data).map(([name, s]) => ({stream_descriptor: {name}, stream_state: s}));
        yield {type: 'STATE', state: {type: 'GLOBAL', global: {shared_state: {cursor_version: 1}, stream_states}}};
      } else {
        yield m;
      }
    }
  }
}

// The plain logger writes each message as it comes (the CDK's source logger
// would add a LEGACY state of its own at the end); the runner calls flush().
const logger = new cdk.AirbyteLogger();
logger.flush = () => {};
new cdk.AirbyteSourceRunner(logger, new Source(logger)).mainCommand().parseAsync().catch((err) => {
  logger.error(err.message);
  process.exit(1);
});
