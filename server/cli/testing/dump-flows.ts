// Reads `ovs-ofctl dump-flows` output with the rules OVS writes it by (ofputil_flow_stats_format):
// fixed counters, optional timeouts, flag words, then the match (priority first) and actions.
// Tests use it as the oracle that `ferry flows` prints the same syntax as ovs-ofctl.

export interface DumpFlow {
  cookie: string;
  durationS: number;
  table: number;
  packets: bigint;
  bytes: bigint;
  idleTimeout?: number;
  hardTimeout?: number;
  flags: string[];
  priority: number;
  /** The match fields after priority, as printed ("" for match-all). */
  match: string;
  actions: string;
}

const OFP_DEFAULT_PRIORITY = 32768;
const HEAD = /^ cookie=(0x[0-9a-f]+), duration=(\d+(?:\.\d+)?)s, table=(\d+), n_packets=(\d+), n_bytes=(\d+), (.*)$/;
const NUMBER_FIELD = /^(idle_timeout|hard_timeout|importance|idle_age|hard_age)=(\d+), /;
const FLAG = /^(send_flow_rem|check_overlap|reset_counts|no_packet_counts|no_byte_counts|emergency) /;
const TAIL = /^(?:(\S+) )?actions=(\S.*)$/;

export function parseDumpFlowsLine(line: string): DumpFlow | null {
  const head = HEAD.exec(line);
  if (!head) return null;
  let rest = head[6]!;
  const numbers: Record<string, number> = {};
  for (let m = NUMBER_FIELD.exec(rest); m; m = NUMBER_FIELD.exec(rest)) {
    numbers[m[1]!] = Number(m[2]);
    rest = rest.slice(m[0].length);
  }
  const flags: string[] = [];
  for (let m = FLAG.exec(rest); m; m = FLAG.exec(rest)) {
    flags.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  const tail = TAIL.exec(rest);
  if (!tail) return null;
  const fullMatch = tail[1] ?? "";
  const p = /^priority=(\d+)(?:,|$)/.exec(fullMatch);
  return {
    cookie: head[1]!,
    durationS: Number(head[2]),
    table: Number(head[3]),
    packets: BigInt(head[4]!),
    bytes: BigInt(head[5]!),
    idleTimeout: numbers.idle_timeout,
    hardTimeout: numbers.hard_timeout,
    flags,
    priority: p ? Number(p[1]) : OFP_DEFAULT_PRIORITY,
    match: p ? fullMatch.slice(p[0].length) : fullMatch,
    actions: tail[2]!,
  };
}

/**
 * Every flow line of a dump. Lenient by default (ovs-ofctl may print a reply header first);
 * `strict` refuses any non-empty line that is not a flow.
 */
export function parseDumpFlows(text: string, { strict = false } = {}): DumpFlow[] {
  const flows: DumpFlow[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = parseDumpFlowsLine(line);
    if (f) flows.push(f);
    else if (strict) throw new Error(`not an ovs-ofctl dump-flows line: ${JSON.stringify(line)}`);
  }
  return flows;
}
