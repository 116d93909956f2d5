// An in-process EventStoreDB for tests and benchmarks: a @grpc/grpc-js server on
// loopback (random port, insecure) that speaks the subset of the gRPC protocol
// the @eventstore/db-client 6.x client uses, built from the client's own
// generated service definitions and message classes:
//
//   ServerFeatures.GetSupportedMethods   (advertises BatchAppend unless told not to)
//   Streams.Append                       (client streaming, one call per append)
//   Streams.BatchAppend                  (one bidi stream per client, correlated batches)
//   Streams.Read                         (a stream or $all, forwards/backwards, from
//                                         start/end/revision/position, counts, filters,
//                                         and subscriptions that catch up then go live)
//
// In memory only. Expected revisions are checked as EventStoreDB does and a
// mismatch answers with the real wrong-expected-version responses (the
// AppendResp case on Append, a google.rpc.Status carrying an Any-packed
// event_store.client.WrongExpectedVersion on BatchAppend), so the client raises
// its own WrongExpectedVersionError. Positions look like a real node's: byte
// offsets that grow by each record's size; the events of one write share their
// commit position (the transaction's) and have their own prepare positions.
// A few `$`-prefixed system events are present from the start, as on a real
// node, and tests can interleave more with `appendSystemEvent`.
//
// Not implemented (UNIMPLEMENTED): Delete, Tombstone, persistent subscriptions,
// projections, users, gossip. No idempotent re-append by event id, no link
// resolution, no stream metadata beyond truncate-before ($tb: hides older
// revisions from stream reads; no scavenge, so $all keeps them), no authentication.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

type StreamsPb = typeof import('@eventstore/db-client/generated/streams_pb.js');
type SharedPb = typeof import('@eventstore/db-client/generated/shared_pb.js');
type StatusPb = typeof import('@eventstore/db-client/generated/status_pb.js');
type FeaturesPb = typeof import('@eventstore/db-client/generated/serverfeatures_pb.js');
type StreamsGrpc = typeof import('@eventstore/db-client/generated/streams_grpc_pb.js');
type FeaturesGrpc = typeof import('@eventstore/db-client/generated/serverfeatures_grpc_pb.js');
type ReadReq = import('@eventstore/db-client/generated/streams_pb.js').ReadReq;
type ReadResp = import('@eventstore/db-client/generated/streams_pb.js').ReadResp;
type AppendReq = import('@eventstore/db-client/generated/streams_pb.js').AppendReq;
type AppendResp = import('@eventstore/db-client/generated/streams_pb.js').AppendResp;
type BatchAppendReq = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendReq;
type BatchAppendResp = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendResp;
type UUIDMsg = import('@eventstore/db-client/generated/shared_pb.js').UUID;

// The generated serializers check `instanceof` against their own classes: load
// every message module from the client's installation, never a copy of our own.
const clientRequire = createRequire(createRequire(import.meta.url).resolve('@eventstore/db-client'));
const streamsPb = clientRequire('../generated/streams_pb.js') as StreamsPb;
const sharedPb = clientRequire('../generated/shared_pb.js') as SharedPb;
const statusPb = clientRequire('../generated/status_pb.js') as StatusPb;
const featuresPb = clientRequire('../generated/serverfeatures_pb.js') as FeaturesPb;
const streamsGrpc = clientRequire('../generated/streams_grpc_pb.js') as StreamsGrpc;
const featuresGrpc = clientRequire('../generated/serverfeatures_grpc_pb.js') as FeaturesGrpc;
const emptyPb = clientRequire(
  'google-protobuf/google/protobuf/empty_pb.js',
) as typeof import('google-protobuf/google/protobuf/empty_pb.js');
const anyPb = clientRequire('google-protobuf/google/protobuf/any_pb.js') as typeof import('google-protobuf/google/protobuf/any_pb.js');

const { ReadResp: ReadRespC, AppendResp: AppendRespC, BatchAppendResp: BatchAppendRespC } = streamsPb;

export interface EsdbServerOptions {
  /** Advertise and serve Streams.BatchAppend (EventStoreDB 21.10+). Default true; false: classic Append only. */
  readonly batchAppend?: boolean;
  /** Register ServerFeatures at all (false: UNIMPLEMENTED, as on EventStoreDB 20.6). Default true. */
  readonly serverFeatures?: boolean;
  /** Start with a few `$` system events, as a real node has. Default true. */
  readonly systemEvents?: boolean;
}

export interface RecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  /** Ticks (100 ns) since the Unix epoch, as the server reports `created`. */
  readonly created: string;
  readonly commit: number;
  readonly prepare: number;
}

export interface EsdbServer {
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  /** Calls received per RPC method name (GetSupportedMethods, Append, BatchAppend, Read). */
  readonly calls: Readonly<Record<string, number>>;
  /** Events sent by reads of $all (subscriptions not counted): how much of the log clients have read. */
  allEventsRead(): number;
  /** Subscriptions currently open. */
  subscriptions(): number;
  /** Every event in $all order (system events included). */
  events(): readonly RecordedEvent[];
  /** Appends a `$`-prefixed system event (to `$stats-127.0.0.1:2113` by default). */
  appendSystemEvent(type?: string, stream?: string): void;
  /** Appends an event as some other writer would (JSON data and metadata as given), with expected revision any. */
  appendRaw(stream: string, type: string, data: unknown, metadata?: unknown): void;
  /** Runs `fn` once, just before the next client write to `stream` is checked (to stage a racing writer). */
  beforeNextWrite(stream: string, fn: () => void): void;
  /** Ends open subscriptions and stops the server; harmless twice. */
  stop(): Promise<void>;
}

interface Proposed {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

type Expected = { kind: 'any' } | { kind: 'noStream' } | { kind: 'exists' } | { kind: 'revision'; revision: number };

type WriteResult =
  | { ok: true; revision: number | undefined; commit: number; prepare: number }
  | { ok: false; current: number | undefined; expected: Expected };

interface Subscriber {
  readonly matches: (e: RecordedEvent) => boolean;
  readonly send: (e: RecordedEvent) => void;
  readonly end: () => void;
}

const EPOCH_TICKS = 10_000n; // ticks per millisecond

const uuidString = (u: UUIDMsg | undefined): string => {
  if (u === undefined) return randomUUID();
  if (u.hasStructured()) {
    const s = u.getStructured()!;
    const hex =
      BigInt.asUintN(64, BigInt(s.getMostSignificantBits())).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(s.getLeastSignificantBits())).toString(16).padStart(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  // .NET's Guid.ToString(): lower case.
  return u.getString().toLowerCase();
};

const nameOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const cmp = (c1: number, p1: number, c2: number, p2: number): number => c1 - c2 || p1 - p2;

export async function startEsdbServer(options: EsdbServerOptions = {}): Promise<EsdbServer> {
  const batchAppend = options.batchAppend ?? true;
  const log: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const subscribers = new Set<Subscriber>();
  const openCalls = new Set<{ end(): void }>();
  const calls: Record<string, number> = {};
  const hooks = new Map<string, () => void>();
  const runHook = (stream: string) => {
    const fn = hooks.get(stream);
    if (fn !== undefined) {
      hooks.delete(stream);
      fn();
    }
  };
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  let nextPosition = 1_024; // a real log starts after its epoch records
  let allRead = 0;
  let stopped: Promise<void> | undefined;

  // ------------------------------------------------------------------ storage
  function write(stream: string, expected: Expected, proposed: readonly Proposed[]): WriteResult {
    const events = streams.get(stream);
    const current = events === undefined || events.length === 0 ? undefined : events.length - 1;
    const ok =
      expected.kind === 'any' ||
      (expected.kind === 'noStream' && current === undefined) ||
      (expected.kind === 'exists' && current !== undefined) ||
      (expected.kind === 'revision' && current === expected.revision);
    if (!ok) return { ok: false, current, expected };
    if (proposed.length === 0) return { ok: true, revision: current, commit: nextPosition, prepare: nextPosition };
    const list = events ?? [];
    if (events === undefined) streams.set(stream, list);
    const created = (BigInt(Date.now()) * EPOCH_TICKS).toString();
    const commit = nextPosition;
    const written: RecordedEvent[] = [];
    for (const p of proposed) {
      const prepare = nextPosition;
      nextPosition += 96 + Buffer.byteLength(stream) + p.type.length + p.data.length + p.metadata.length;
      const e: RecordedEvent = {
        stream,
        revision: list.length,
        id: p.id,
        type: p.type,
        contentType: p.contentType,
        data: p.data,
        metadata: p.metadata,
        created,
        commit,
        prepare,
      };
      list.push(e);
      log.push(e);
      written.push(e);
    }
    // Live subscribers see the write after it is stored, in order.
    for (const s of subscribers) for (const e of written) if (s.matches(e)) s.send(e);
    return { ok: true, revision: list.length - 1, commit, prepare: written[written.length - 1]!.prepare };
  }

  function appendSystemEvent(type = '$statsCollected', stream = '$stats-127.0.0.1:2113'): void {
    const data = Buffer.from(JSON.stringify({ 'proc-startTime': new Date().toISOString() }));
    write(stream, { kind: 'any' }, [{ id: randomUUID(), type, contentType: 'application/json', data, metadata: new Uint8Array() }]);
  }

  if (options.systemEvents ?? true) {
    write('$settings', { kind: 'any' }, [
      {
        id: randomUUID(),
        type: '$settings',
        contentType: 'application/json',
        data: Buffer.from('{"$userStreamAcl":{},"$systemStreamAcl":{}}'),
        metadata: new Uint8Array(),
      },
    ]);
    appendSystemEvent('$ProjectionsInitialized', '$projections-$all');
    appendSystemEvent();
  }

  /** The stream's truncate-before from its latest metadata event (0 when none). */
  function truncateBefore(stream: string): number {
    const meta = streams.get(`$$${stream}`);
    const last = meta?.[meta.length - 1];
    if (last === undefined) return 0;
    try {
      const tb = (JSON.parse(Buffer.from(last.data).toString('utf8')) as { $tb?: unknown }).$tb;
      return typeof tb === 'number' ? tb : 0;
    } catch {
      return 0;
    }
  }

  // First index in `log` whose position is >= (c, p).
  function lowerBound(c: number, p: number): number {
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = log[mid]!;
      if (cmp(e.commit, e.prepare, c, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ------------------------------------------------------------------ messages
  function recorded(e: RecordedEvent) {
    const r = new ReadRespC.ReadEvent.RecordedEvent();
    const id = new sharedPb.UUID();
    id.setString(e.id);
    r.setId(id);
    const sid = new sharedPb.StreamIdentifier();
    sid.setStreamName(Buffer.from(e.stream, 'utf8'));
    r.setStreamIdentifier(sid);
    r.setStreamRevision(String(e.revision));
    r.setCommitPosition(String(e.commit));
    r.setPreparePosition(String(e.prepare));
    const m = r.getMetadataMap();
    m.set('type', e.type);
    m.set('content-type', e.contentType);
    m.set('created', e.created);
    r.setData(e.data);
    r.setCustomMetadata(e.metadata);
    return r;
  }

  function eventResp(e: RecordedEvent): ReadResp {
    const ev = new ReadRespC.ReadEvent();
    ev.setEvent(recorded(e));
    ev.setCommitPosition(String(e.commit));
    const resp = new ReadRespC();
    resp.setEvent(ev);
    return resp;
  }

  function setExpectedOnWev(w: InstanceType<SharedPb['WrongExpectedVersion']>, expected: Expected, current: number | undefined) {
    if (current === undefined) w.setCurrentNoStream(new emptyPb.Empty());
    else w.setCurrentStreamRevision(String(current));
    switch (expected.kind) {
      case 'any':
        w.setExpectedAny(new emptyPb.Empty());
        break;
      case 'noStream':
        w.setExpectedNoStream(new emptyPb.Empty());
        break;
      case 'exists':
        w.setExpectedStreamExists(new emptyPb.Empty());
        break;
      case 'revision':
        w.setExpectedStreamPosition(String(expected.revision));
        break;
    }
  }

  // ------------------------------------------------------------------ Append
  const append: grpc.handleClientStreamingCall<AppendReq, AppendResp> = (call, callback) => {
    count('Append');
    let stream: string | undefined;
    let expected: Expected = { kind: 'any' };
    const proposed: Proposed[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) {
        const o = req.getOptions()!;
        stream = nameOf(o.getStreamIdentifier()!.getStreamName_asU8());
        const C = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
        switch (o.getExpectedStreamRevisionCase()) {
          case C.REVISION:
            expected = { kind: 'revision', revision: Number(o.getRevision()) };
            break;
          case C.NO_STREAM:
            expected = { kind: 'noStream' };
            break;
          case C.STREAM_EXISTS:
            expected = { kind: 'exists' };
            break;
          default:
            expected = { kind: 'any' };
        }
      } else if (req.hasProposedMessage()) {
        const m = req.getProposedMessage()!;
        proposed.push({
          id: uuidString(m.getId()),
          type: m.getMetadataMap().get('type') ?? '',
          contentType: m.getMetadataMap().get('content-type') ?? 'application/octet-stream',
          data: m.getData_asU8(),
          metadata: m.getCustomMetadata_asU8(),
        });
      }
    });
    call.on('end', () => {
      if (stream === undefined) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'append without options' });
        return;
      }
      runHook(stream);
      const r = write(stream, expected, proposed);
      const resp = new AppendRespC();
      if (r.ok) {
        const s = new AppendRespC.Success();
        if (r.revision === undefined) s.setNoStream(new sharedPb.Empty());
        else s.setCurrentRevision(String(r.revision));
        const pos = new AppendRespC.Position();
        pos.setCommitPosition(String(r.commit));
        pos.setPreparePosition(String(r.prepare));
        s.setPosition(pos);
        resp.setSuccess(s);
      } else {
        const w = new AppendRespC.WrongExpectedVersion();
        if (r.current === undefined) {
          w.setCurrentNoStream(new sharedPb.Empty());
          w.setNoStream2060(new sharedPb.Empty());
        } else {
          w.setCurrentRevision(String(r.current));
          w.setCurrentRevision2060(r.current);
        }
        switch (r.expected.kind) {
          case 'any':
            w.setExpectedAny(new sharedPb.Empty());
            w.setAny2060(new sharedPb.Empty());
            break;
          case 'noStream':
            w.setExpectedNoStream(new sharedPb.Empty());
            break;
          case 'exists':
            w.setExpectedStreamExists(new sharedPb.Empty());
            w.setStreamExists2060(new sharedPb.Empty());
            break;
          case 'revision':
            w.setExpectedRevision(String(r.expected.revision));
            w.setExpectedRevision2060(r.expected.revision);
            break;
        }
        resp.setWrongExpectedVersion(w);
      }
      callback(null, resp);
    });
  };

  // ------------------------------------------------------------------ BatchAppend
  const batchAppendHandler: grpc.handleBidiStreamingCall<BatchAppendReq, BatchAppendResp> = (call) => {
    count('BatchAppend');
    openCalls.add(call);
    const pending = new Map<string, { stream: string; expected: Expected; proposed: Proposed[] }>();
    call.on('data', (req: BatchAppendReq) => {
      const correlation = req.getCorrelationId()!;
      const key = uuidString(correlation);
      let p = pending.get(key);
      if (p === undefined) {
        const o = req.getOptions();
        if (o === undefined) return; // a continuation of a batch we never saw the start of
        const C = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
        let expected: Expected;
        switch (o.getExpectedStreamPositionCase()) {
          case C.STREAM_POSITION:
            expected = { kind: 'revision', revision: Number(o.getStreamPosition()) };
            break;
          case C.NO_STREAM:
            expected = { kind: 'noStream' };
            break;
          case C.STREAM_EXISTS:
            expected = { kind: 'exists' };
            break;
          default:
            expected = { kind: 'any' };
        }
        p = { stream: nameOf(o.getStreamIdentifier()!.getStreamName_asU8()), expected, proposed: [] };
        pending.set(key, p);
      }
      for (const m of req.getProposedMessagesList()) {
        p.proposed.push({
          id: uuidString(m.getId()),
          type: m.getMetadataMap().get('type') ?? '',
          contentType: m.getMetadataMap().get('content-type') ?? 'application/octet-stream',
          data: m.getData_asU8(),
          metadata: m.getCustomMetadata_asU8(),
        });
      }
      if (!req.getIsFinal()) return;
      pending.delete(key);
      runHook(p.stream);
      const r = write(p.stream, p.expected, p.proposed);
      const resp = new BatchAppendRespC();
      const cid = new sharedPb.UUID();
      cid.setString(correlation.getString());
      resp.setCorrelationId(correlation.hasStructured() ? correlation : cid);
      const sid = new sharedPb.StreamIdentifier();
      sid.setStreamName(Buffer.from(p.stream, 'utf8'));
      resp.setStreamIdentifier(sid);
      switch (p.expected.kind) {
        case 'revision':
          resp.setStreamPosition(String(p.expected.revision));
          break;
        case 'noStream':
          resp.setNoStream(new emptyPb.Empty());
          break;
        case 'exists':
          resp.setStreamExists(new emptyPb.Empty());
          break;
        default:
          resp.setAny(new emptyPb.Empty());
      }
      if (r.ok) {
        const s = new BatchAppendRespC.Success();
        if (r.revision === undefined) s.setNoStream(new emptyPb.Empty());
        else s.setCurrentRevision(String(r.revision));
        const pos = new sharedPb.AllStreamPosition();
        pos.setCommitPosition(String(r.commit));
        pos.setPreparePosition(String(r.prepare));
        s.setPosition(pos);
        resp.setSuccess(s);
      } else {
        const w = new sharedPb.WrongExpectedVersion();
        setExpectedOnWev(w, r.expected, r.current);
        const details = new anyPb.Any();
        details.pack(w.serializeBinary(), 'event_store.client.WrongExpectedVersion');
        const status = new statusPb.Status();
        status.setCode(9); // FAILED_PRECONDITION
        status.setMessage(`WrongExpectedVersion: append to stream ${p.stream}`);
        status.setDetails(details);
        resp.setError(status);
      }
      call.write(resp);
    });
    call.on('end', () => {
      openCalls.delete(call);
      call.end();
    });
    call.on('cancelled', () => {
      openCalls.delete(call);
    });
    call.on('error', () => {
      openCalls.delete(call);
    });
  };

  // ------------------------------------------------------------------ Read
  const read: grpc.handleServerStreamingCall<ReadReq, ReadResp> = (call) => {
    count('Read');
    const o = call.request.getOptions();
    if (o === undefined) {
      call.destroy(Object.assign(new Error('read without options'), { code: grpc.status.INVALID_ARGUMENT }));
      return;
    }
    const backwards = o.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const subscription = o.hasSubscription();
    const limit = o.hasCount() ? Number(o.getCount()) : Number.MAX_SAFE_INTEGER;
    const filter = o.hasFilter() ? filterOf(o.getFilter()!) : undefined;
    const send = (e: RecordedEvent) => {
      call.write(eventResp(e));
    };

    // What a subscription or read covers, and the catch-up part as a list.
    let matches: (e: RecordedEvent) => boolean;
    let catchUp: RecordedEvent[];
    if (o.hasStream()) {
      const so = o.getStream()!;
      const stream = nameOf(so.getStreamIdentifier()!.getStreamName_asU8());
      // Truncate-before ($tb in the stream's metadata) hides older revisions from reads, as a real node does.
      const tb = truncateBefore(stream);
      const events = streams.get(stream) ?? [];
      matches = (e) => e.stream === stream;
      const RC = streamsPb.ReadReq.Options.StreamOptions.RevisionOptionCase;
      const from = so.getRevisionOptionCase() === RC.REVISION ? Number(so.getRevision()) : undefined;
      const atEnd = so.getRevisionOptionCase() === RC.END;
      if (subscription) {
        // Catch-up subscriptions start after the given revision.
        catchUp = atEnd ? [] : from === undefined ? events.slice() : events.slice(from + 1);
      } else {
        if (events.length === 0) {
          const nf = new ReadRespC.StreamNotFound();
          const sid = new sharedPb.StreamIdentifier();
          sid.setStreamName(Buffer.from(stream, 'utf8'));
          nf.setStreamIdentifier(sid);
          const resp = new ReadRespC();
          resp.setStreamNotFound(nf);
          call.write(resp);
          call.end();
          return;
        }
        if (backwards) {
          const start = from !== undefined ? Math.min(from, events.length - 1) : atEnd ? events.length - 1 : 0;
          catchUp = events.slice(0, start + 1).reverse();
        } else {
          catchUp = atEnd ? [] : events.slice(from ?? 0);
        }
        if (tb > 0) catchUp = catchUp.filter((e) => e.revision >= tb);
      }
    } else {
      const ao = o.getAll()!;
      const AC = streamsPb.ReadReq.Options.AllOptions.AllOptionCase;
      const pos = ao.getAllOptionCase() === AC.POSITION ? ao.getPosition()! : undefined;
      const c = pos === undefined ? 0 : Number(pos.getCommitPosition());
      const p = pos === undefined ? 0 : Number(pos.getPreparePosition());
      matches = filter ?? (() => true);
      if (subscription) {
        // Catch-up subscriptions to $all start after the given position.
        const start =
          ao.getAllOptionCase() === AC.END
            ? log.length
            : pos === undefined
              ? 0
              : (() => {
                  let i = lowerBound(c, p);
                  while (i < log.length && cmp(log[i]!.commit, log[i]!.prepare, c, p) <= 0) i++;
                  return i;
                })();
        catchUp = log.slice(start).filter(matches);
      } else if (backwards) {
        const end = ao.getAllOptionCase() === AC.START ? 0 : pos === undefined ? log.length : lowerBound(c, p);
        catchUp = log.slice(0, end).reverse().filter(matches);
      } else {
        const start = ao.getAllOptionCase() === AC.END ? log.length : pos === undefined ? 0 : lowerBound(c, p);
        catchUp = log.slice(start).filter(matches);
      }
    }

    if (!subscription) {
      const sent = catchUp.slice(0, limit);
      if (!o.hasStream()) allRead += sent.length;
      // A large read is written a page at a time with the loop let run in between (and
      // waiting for the socket to drain), as a real node streams it: written in one go,
      // a read of a million events blocks the server for longer than the client's
      // keep-alive allows, and buffers the whole reply.
      const PAGE = 4096;
      const pump = (from: number): void => {
        let ok = true;
        let i = from;
        for (; i < sent.length && i < from + PAGE; i++) ok = call.write(eventResp(sent[i]!)) && ok;
        if (i >= sent.length) {
          call.end();
          return;
        }
        if (call.cancelled || call.destroyed) return;
        if (ok) setImmediate(() => pump(i));
        else call.once('drain', () => pump(i));
      };
      pump(0);
      return;
    }
    const confirmation = new ReadRespC();
    const sc = new ReadRespC.SubscriptionConfirmation();
    sc.setSubscriptionId(randomUUID());
    confirmation.setConfirmation(sc);
    call.write(confirmation);
    for (const e of catchUp) send(e);
    if (filter !== undefined && log.length > 0) {
      // A filtered subscription reports how far it has searched.
      const last = log[log.length - 1]!;
      const cp = new ReadRespC.Checkpoint();
      cp.setCommitPosition(String(last.commit));
      cp.setPreparePosition(String(last.prepare));
      const resp = new ReadRespC();
      resp.setCheckpoint(cp);
      call.write(resp);
    }
    const caughtUp = new ReadRespC();
    caughtUp.setCaughtUp(new ReadRespC.CaughtUp());
    call.write(caughtUp);
    const sub: Subscriber = {
      matches,
      send,
      end: () => {
        subscribers.delete(sub);
        call.end();
      },
    };
    subscribers.add(sub);
    const drop = () => {
      subscribers.delete(sub);
    };
    call.on('cancelled', drop);
    call.on('close', drop);
    call.on('error', drop);
  };

  // ------------------------------------------------------------------ ServerFeatures
  const getSupportedMethods: grpc.handleUnaryCall<InstanceType<SharedPb['Empty']>, InstanceType<FeaturesPb['SupportedMethods']>> = (
    _call,
    callback,
  ) => {
    count('GetSupportedMethods');
    const methods = new featuresPb.SupportedMethods();
    methods.setEventStoreServerVersion('23.10.0-in-process');
    const add = (service: string, method: string, features: string[] = []) => {
      const m = new featuresPb.SupportedMethod();
      m.setServiceName(service);
      m.setMethodName(method);
      m.setFeaturesList(features);
      methods.addMethods(m);
    };
    add('event_store.client.streams.streams', 'read', ['position', 'events', 'all']);
    add('event_store.client.streams.streams', 'append');
    if (batchAppend) add('event_store.client.streams.streams', 'batchappend');
    add('event_store.client.server_features.serverfeatures', 'getsupportedmethods');
    callback(null, methods);
  };

  const server = new grpc.Server();
  // Methods left out (Delete, Tombstone, BatchAppend when disabled) answer UNIMPLEMENTED.
  server.addService(streamsGrpc.StreamsService, {
    read,
    append,
    ...(batchAppend ? { batchAppend: batchAppendHandler } : {}),
  });
  if (options.serverFeatures ?? true) {
    server.addService(featuresGrpc.ServerFeaturesService, { getSupportedMethods });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  return {
    port,
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    calls,
    allEventsRead: () => allRead,
    subscriptions: () => subscribers.size,
    events: () => log.slice(),
    appendSystemEvent,
    appendRaw(stream, type, data, metadata) {
      write(stream, { kind: 'any' }, [
        {
          id: randomUUID(),
          type,
          contentType: 'application/json',
          data: Buffer.from(JSON.stringify(data) ?? 'null'),
          metadata: metadata === undefined ? new Uint8Array() : Buffer.from(JSON.stringify(metadata)),
        },
      ]);
    },
    beforeNextWrite(stream, fn) {
      hooks.set(stream, fn);
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const s of [...subscribers]) s.end();
        for (const c of [...openCalls]) c.end();
        const timer = setTimeout(() => server.forceShutdown(), 500);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return stopped;
    },
  };
}

// Filters as EventStoreDB applies them to $all: on the stream name or the event
// type, by prefixes or a regular expression.
function filterOf(f: InstanceType<StreamsPb['ReadReq']['Options']['FilterOptions']>): (e: RecordedEvent) => boolean {
  const onStream = f.hasStreamIdentifier();
  const expr = onStream ? f.getStreamIdentifier()! : f.getEventType()!;
  const prefixes = expr.getPrefixList();
  const regex = expr.getRegex() ? new RegExp(expr.getRegex()) : undefined;
  return (e) => {
    const subject = onStream ? e.stream : e.type;
    if (prefixes.length > 0 && !prefixes.some((p) => subject.startsWith(p))) return false;
    return regex === undefined || regex.test(subject);
  };
}
