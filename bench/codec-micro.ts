// Per-message cost of the steps Ferry's controller takes for one PACKET_IN (no sockets), to
// locate where its time goes. Usage: npx tsx bench/codec-micro.ts [--of 1.0|1.3] [--n 200000]
import { decodeMessage, encodeMessage, type OfpMessage } from "../controller/openflow";
import { LearningSwitch } from "../controller/apps/learning-switch";
import { parseEthernet } from "../controller/packet";
import { FlowTable } from "../controller/flow-table";
import { formatActions, formatInstructions, formatMatch } from "../controller/openflow/ofctl";
import type { FlowModMsg } from "../controller/openflow";

const ofArg = process.argv.indexOf("--of");
const version = ofArg > 0 && process.argv[ofArg + 1] === "1.3" ? 4 : 1;
const nArg = process.argv.indexOf("--n");
const N = Math.min(2_000_000, Math.max(1000, nArg > 0 ? Number(process.argv[nArg + 1]) : 200_000));

function frame(src: number, dst: number): Buffer {
  const f = Buffer.alloc(60);
  Buffer.from([2, 0, 0, 1, 0, dst]).copy(f, 0);
  Buffer.from([2, 0, 0, 1, 0, src]).copy(f, 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f[23] = 17;
  return f;
}

const packetIn: OfpMessage =
  version === 1
    ? ({ type: "packet_in", xid: 7, buffer_id: 0xffffffff, total_len: 60, in_port: 1, reason: 0, data: frame(1, 2) } as unknown as OfpMessage)
    : ({ type: "packet_in", xid: 7, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 }, data: frame(1, 2) } as unknown as OfpMessage);
const wire = encodeMessage(version, packetIn);

const ls = new LearningSwitch();
const hosts = 64;
// Teach every host so that onPacketIn returns FLOW_MOD + PACKET_OUT.
for (let h = 0; h < hosts; h++) ls.onPacketIn({ dpid: "1", in_port: 1 + (h % 4), buffer_id: 0xffffffff, data: frame(h, 255), now: Date.now() });
const answers = ls.onPacketIn({ dpid: "1", in_port: 2, buffer_id: 0xffffffff, data: frame(1, 2), now: Date.now() });

function time(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(N, 20_000); i++) fn(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  process.stdout.write(`${label.padEnd(46)} ${(ns / 1000).toFixed(2).padStart(8)} µs\n`);
}

process.stdout.write(`OpenFlow ${version === 1 ? "1.0" : "1.3"}, ${N} iterations each; one PACKET_IN answered by ${answers.map((m) => m.type).join(" + ")}\n`);
time("decodeMessage(PACKET_IN)", () => decodeMessage(wire));
time("parseEthernet(frame)", () => parseEthernet(frame(1, 2)));
const data = frame(1, 2);
time("LearningSwitch.onPacketIn (known dst)", (i) => ls.onPacketIn({ dpid: "1", in_port: 1 + (i % 4), buffer_id: 0xffffffff, data, now: 0 }));
for (const m of answers) time(`encodeMessage(${m.type.toUpperCase()})`, () => encodeMessage(version, m));
const ft = new FlowTable();
const fm = answers.find((m) => m.type === "flow_mod") as FlowModMsg | undefined;
if (fm) {
  time("FlowTable.applyFlowMod(add)", () => ft.applyFlowMod(fm, 0));
  time("flow_mod event summary (formatMatch+actions)", () => {
    const actions = fm.instructions ? formatInstructions(fm.instructions) : formatActions(fm.actions ?? []);
    return `${formatMatch(fm.match, fm.priority, version)} actions=${actions}`;
  });
}
