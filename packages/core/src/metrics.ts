// Tool call metrics (monitoring): counts by tool and status, and durations,
// exposed in Prometheus text format on /metrics when serving HTTP, and in a summary log line on exit.

interface ToolStats {
  ok: number;
  error: number;
  sumMs: number;
  buckets: number[];
}

const BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

export class Metrics {
  private readonly tools = new Map<string, ToolStats>();
  constructor(private readonly server: string) {}

  record(tool: string, ok: boolean, ms: number): void {
    let s = this.tools.get(tool);
    if (!s) {
      s = { ok: 0, error: 0, sumMs: 0, buckets: BOUNDS_MS.map(() => 0) };
      this.tools.set(tool, s);
    }
    if (ok) s.ok++;
    else s.error++;
    s.sumMs += ms;
    for (let i = 0; i < BOUNDS_MS.length; i++) if (ms <= BOUNDS_MS[i]) s.buckets[i]++;
  }

  summary(): Record<string, { ok: number; error: number; avgMs: number }> {
    const out: Record<string, { ok: number; error: number; avgMs: number }> = {};
    for (const [k, s] of this.tools) out[k] = { ok: s.ok, error: s.error, avgMs: Math.round((s.sumMs / Math.max(1, s.ok + s.error)) * 10) / 10 };
    return out;
  }

  prometheus(): string {
    const L = (tool: string, extra = '') => `server="${this.server}",tool="${tool}"${extra}`;
    const lines = ['# HELP mcp_tool_calls_total Tool calls by status.', '# TYPE mcp_tool_calls_total counter'];
    for (const [t, s] of this.tools) {
      lines.push(`mcp_tool_calls_total{${L(t, ',status="success"')}} ${s.ok}`);
      lines.push(`mcp_tool_calls_total{${L(t, ',status="error"')}} ${s.error}`);
    }
    lines.push('# HELP mcp_tool_call_duration_seconds Tool call duration.', '# TYPE mcp_tool_call_duration_seconds histogram');
    for (const [t, s] of this.tools) {
      BOUNDS_MS.forEach((b, i) => lines.push(`mcp_tool_call_duration_seconds_bucket{${L(t, `,le="${b / 1000}"`)}} ${s.buckets[i]}`));
      lines.push(`mcp_tool_call_duration_seconds_bucket{${L(t, ',le="+Inf"')}} ${s.ok + s.error}`);
      lines.push(`mcp_tool_call_duration_seconds_sum{${L(t)}} ${s.sumMs / 1000}`);
      lines.push(`mcp_tool_call_duration_seconds_count{${L(t)}} ${s.ok + s.error}`);
    }
    return lines.join('\n') + '\n';
  }
}
