// Structured logging: pino, JSON lines on stderr only (stdout is the MCP channel), secrets masked,
// and the MCP `logging` capability: records at or above the level a client chose with
// `logging/setLevel` are also sent to it as `notifications/message`.
//
// Each session has its own logger, sink and level: a record written through a session's logger
// (its tool calls, its roots) goes to that session's client only. Server-wide records (start-up,
// pools, shutdown) go to the sessions that asked for them (`serverLogs`: the single stdio session),
// never to an HTTP client, which must not see what other clients or the operator's setup do.
import pino, { type Logger, type LevelWithSilent } from 'pino';
import { redact, redactString } from './redact.js';

export type { Logger };

export type McpLogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';
export const MCP_LEVELS: McpLogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

// pino numeric levels: trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
const MCP_TO_PINO: Record<McpLogLevel, number> = {
  debug: 20,
  info: 30,
  notice: 30,
  warning: 40,
  error: 50,
  critical: 60,
  alert: 60,
  emergency: 60,
};
const PINO_TO_MCP = (n: number): McpLogLevel => (n >= 60 ? 'critical' : n >= 50 ? 'error' : n >= 40 ? 'warning' : n >= 30 ? 'info' : 'debug');
const PINO_NAMES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export type McpLogSink = (level: McpLogLevel, logger: string, data: unknown) => void;

/** One session's view of the logs: its logger, and where and from which level its records go. */
export interface SessionLog {
  /** Records written here go to stderr and to this session's client only. */
  logger: Logger;
  /** The level the client asked for with logging/setLevel. */
  setMcpLevel(level: McpLogLevel): void;
  /** Stops forwarding (the session closed). */
  close(): void;
}

export interface LogHub {
  /** The server-wide logger (stderr; forwarded only to sessions opened with `serverLogs`). */
  logger: Logger;
  /** A logger for one session, forwarding to `sink`; `serverLogs` also forwards server-wide records to it. */
  forSession(opts: { sink: McpLogSink; bindings?: Record<string, unknown>; serverLogs?: boolean }): SessionLog;
}

type Out = { write(s: string): unknown };

export function createLogHub(opts: { name: string; level?: string; stream?: Out }): LogHub {
  const stderrLevel = PINO_NAMES[(opts.level ?? 'info').toLowerCase()] ?? 30;
  const out = opts.stream ?? pino.destination({ fd: 2, sync: true });
  /** Sessions that receive server-wide records, with their levels. */
  const serverSinks = new Map<object, { sink: McpLogSink; level: number }>();

  const forward = (line: string, level: number, sink: McpLogSink) => {
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      const { level: _l, time: _t, pid: _p, hostname: _h, name, ...data } = rec;
      sink(PINO_TO_MCP(level), String(name ?? opts.name), data);
    } catch {
      /* a record we cannot parse is not forwarded */
    }
  };
  const levelOf = (line: string) => {
    const m = /"level":(\d+)/.exec(line);
    return m ? Number(m[1]) : 30;
  };

  const logger = makeLogger(opts.name, stderrLevel, {
    write(line: string) {
      const level = levelOf(line);
      if (level >= stderrLevel) out.write(line);
      for (const s of serverSinks.values()) if (level >= s.level) forward(line, level, s.sink);
    },
  });
  const applyServerLevel = () => {
    let min = stderrLevel;
    for (const s of serverSinks.values()) min = Math.min(min, s.level);
    logger.level = levelName(min);
  };

  return {
    logger,
    forSession({ sink, bindings, serverLogs }) {
      let mcpLevel = Infinity; // nothing is forwarded until the client sets a level
      let open = true;
      const key = {};
      // Until the client asks for log notifications, its records only go to stderr: a cheap child
      // of the server logger (most HTTP sessions never ask). Its own logger is made on request.
      let plain: Logger | undefined;
      let own: Logger | undefined;
      const makeOwn = () =>
        makeLogger(
          opts.name,
          stderrLevel,
          {
            write(line: string) {
              const level = levelOf(line);
              if (level >= stderrLevel) out.write(line);
              if (open && level >= mcpLevel) forward(line, level, sink);
            },
          },
          bindings,
        );
      return {
        get logger() {
          return own ?? (plain ??= bindings ? logger.child(bindings) : logger);
        },
        setMcpLevel(level) {
          mcpLevel = MCP_TO_PINO[level];
          own ??= makeOwn();
          own.level = levelName(Math.min(stderrLevel, mcpLevel));
          if (serverLogs) {
            serverSinks.set(key, { sink, level: mcpLevel });
            applyServerLevel();
          }
        },
        close() {
          open = false;
          if (serverSinks.delete(key)) applyServerLevel();
        },
      };
    },
  };
}

function makeLogger(name: string, level: number, destination: Out, bindings?: Record<string, unknown>): Logger {
  return pino(
    {
      name,
      level: levelName(level),
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // Every record is walked once: secret-looking keys masked, known secret values masked.
        log: (obj) => redact(obj, { logs: true }),
      },
      hooks: {
        logMethod(args, method) {
          // Messages are strings built by our code; mask known secrets in them too.
          const masked = args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<typeof method>;
          return method.apply(this, masked);
        },
      },
      serializers: { err: pino.stdSerializers.err },
    },
    destination as pino.DestinationStream,
  );
}

function levelName(n: number): LevelWithSilent {
  if (n === Infinity) return 'silent';
  for (const [name, v] of Object.entries(PINO_NAMES)) if (v === n) return name as LevelWithSilent;
  return 'info';
}
