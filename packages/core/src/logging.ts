// Structured logging: pino, JSON lines on stderr only (stdout is the MCP channel), secrets masked,
// and the MCP `logging` capability: records at or above the level a client chose with
// `logging/setLevel` are also sent to it as `notifications/message`.
import pino, { type Logger, type LevelWithSilent } from 'pino';
import { redact, redactString } from './redact.js';

export type { Logger };

export type McpLogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';
export const MCP_LEVELS: McpLogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

// pino numeric levels: trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
const MCP_TO_PINO: Record<McpLogLevel, number> = {
  debug: 20, info: 30, notice: 30, warning: 40, error: 50, critical: 60, alert: 60, emergency: 60,
};
const PINO_TO_MCP = (n: number): McpLogLevel => (n >= 60 ? 'critical' : n >= 50 ? 'error' : n >= 40 ? 'warning' : n >= 30 ? 'info' : 'debug');
const PINO_NAMES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export type McpLogSink = (level: McpLogLevel, logger: string, data: unknown) => void;

export interface LogHub {
  logger: Logger;
  /** Where MCP log notifications go once a client is connected (undefined: none). */
  setMcpSink(sink: McpLogSink | undefined): void;
  /** The level a client asked for with logging/setLevel. */
  setMcpLevel(level: McpLogLevel): void;
}

export function createLogHub(opts: { name: string; level?: string; stream?: { write(s: string): unknown } }): LogHub {
  const stderrLevel = PINO_NAMES[(opts.level ?? 'info').toLowerCase()] ?? 30;
  let mcpLevel = Infinity; // nothing is forwarded until a client sets a level
  let sink: McpLogSink | undefined;
  const out = opts.stream ?? pino.destination({ fd: 2, sync: true });

  const destination = {
    write(line: string) {
      let level = 30;
      const m = /"level":(\d+)/.exec(line);
      if (m) level = Number(m[1]);
      if (level >= stderrLevel) out.write(line);
      if (sink && level >= mcpLevel) {
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          const { level: _l, time: _t, pid: _p, hostname: _h, name, ...data } = rec;
          sink(PINO_TO_MCP(level), String(name ?? opts.name), data);
        } catch {
          /* a record we cannot parse is not forwarded */
        }
      }
    },
  };

  const logger = pino(
    {
      name: opts.name,
      level: levelName(stderrLevel),
      base: { pid: process.pid },
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
    destination,
  );

  const applyLevel = () => {
    logger.level = levelName(Math.min(stderrLevel, mcpLevel));
  };

  return {
    logger,
    setMcpSink(s) {
      sink = s;
    },
    setMcpLevel(level) {
      mcpLevel = MCP_TO_PINO[level];
      applyLevel();
    },
  };
}

function levelName(n: number): LevelWithSilent {
  if (n === Infinity) return 'silent';
  for (const [name, v] of Object.entries(PINO_NAMES)) if (v === n) return name as LevelWithSilent;
  return 'info';
}
