import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures/fixtures';
import { OFCTL_GOLDEN } from './fixtures/ofctl-golden';
import { decodeMessage, type FlowModMsg } from './index';
import { formatDuration, formatFlowMod, formatFlowStats } from './ofctl';

function flowsOf(hex: string) {
  const m = decodeMessage(Buffer.from(hex, 'hex'));
  if (m.type !== 'multipart_reply' || m.body.kind !== 'flow') throw new Error('not a flow stats reply');
  return { version: m.version, flows: m.body.flows };
}

// Lines printed by `ovs-ofctl ofp-print` (OVS 3.1.0) for the captured OVS flow-stats fixtures.
const OVS_PRINTED: Record<string, string[]> = {
  'of13 flow stats reply (OVS)': [
    ' cookie=0x99, duration=0.961s, table=0, n_packets=0, n_bytes=0, hard_timeout=1, send_flow_rem priority=300,udp,tp_dst=53 actions=CONTROLLER:65535',
    ' cookie=0x10, duration=0.961s, table=0, n_packets=0, n_bytes=0, priority=200,tcp,nw_src=10.0.0.0/24,nw_dst=10.0.1.5,tp_dst=80 actions=set_field:02:00:00:00:00:99->eth_dst,output:3',
    ' cookie=0x0, duration=0.961s, table=0, n_packets=0, n_bytes=0, priority=150,arp,arp_op=1 actions=FLOOD',
    ' cookie=0x2a, duration=1.005s, table=0, n_packets=0, n_bytes=0, idle_timeout=60, send_flow_rem priority=100,in_port=1,dl_src=aa:bb:cc:dd:ee:01,dl_dst=aa:bb:cc:dd:ee:02 actions=output:2',
    ' cookie=0x7, duration=0.961s, table=0, n_packets=0, n_bytes=0, priority=50,tun_id=0x5,in_port=2,dl_vlan=10 actions=pop_vlan,set_field:02:00:00:00:00:01->eth_dst,write_actions(output:1),goto_table:1',
    ' cookie=0x0, duration=0.961s, table=0, n_packets=0, n_bytes=0, priority=0 actions=CONTROLLER:65535',
    ' cookie=0x0, duration=0.961s, table=1, n_packets=0, n_bytes=0, priority=10,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=push_vlan:0x8100,set_field:4116->vlan_vid,IN_PORT',
  ],
  'of10 flow stats reply (OVS)': [
    ' cookie=0x99, duration=0.989s, table=0, n_packets=0, n_bytes=0, hard_timeout=1, priority=300,udp,tp_dst=53 actions=CONTROLLER:65535',
    ' cookie=0x10, duration=0.990s, table=0, n_packets=0, n_bytes=0, priority=200,tcp,nw_src=10.0.0.0/24,nw_dst=10.0.1.5,tp_dst=80 actions=mod_dl_dst:02:00:00:00:00:99,output:3',
    ' cookie=0x0, duration=0.990s, table=0, n_packets=0, n_bytes=0, priority=150,arp,arp_op=1 actions=FLOOD',
    ' cookie=0x2a, duration=0.990s, table=0, n_packets=0, n_bytes=0, idle_timeout=60, priority=100,in_port=1,dl_src=aa:bb:cc:dd:ee:01,dl_dst=aa:bb:cc:dd:ee:02 actions=output:2',
    ' cookie=0x7, duration=0.990s, table=0, n_packets=0, n_bytes=0, priority=50,in_port=2,dl_vlan=10 actions=strip_vlan,mod_nw_src:192.168.1.1,mod_tp_dst:8080,output:1',
    ' cookie=0x0, duration=0.990s, table=0, n_packets=0, n_bytes=0, priority=0 actions=CONTROLLER:65535',
  ],
  'of13 flow stats reply part 1 (REPLY_MORE)': [
    ' cookie=0xff, duration=5.0000015s, table=0, n_packets=10, n_bytes=980, hard_timeout=30, icmp,nw_dst=192.168.0.1,icmp_type=8 actions=drop',
  ],
  'of13 flow stats reply part 2': [
    ' cookie=0x0, duration=12.345s, table=3, n_packets=0, n_bytes=0, priority=5,arp,in_port=LOCAL,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24 actions=clear_actions,write_metadata:0x10/0xff,goto_table:4',
  ],
};

describe('ovs-ofctl flow rendering', () => {
  for (const [name, lines] of Object.entries(OVS_PRINTED)) {
    it(`matches ovs-ofctl for ${name}`, () => {
      const { version, flows } = flowsOf(FIXTURES.find((f) => f.name === name)!.hex);
      expect(flows.map((f) => formatFlowStats(f, { version }))).toEqual(lines);
    });
  }

  OFCTL_GOLDEN.forEach((g, i) => {
    it(`matches ovs-ofctl for field/action coverage set ${i} (OF 0x0${g.version})`, () => {
      const { version, flows } = flowsOf(g.hex);
      expect(flows.map((f) => formatFlowStats(f, { version }))).toEqual(g.lines);
    });
  });

  it('renders a flow-mod with counters like the switch would', () => {
    const fm = decodeMessage(Buffer.from(FIXTURES.find((f) => f.name === 'of13 flow_mod eth match, send_flow_rem')!.hex, 'hex'));
    const line = formatFlowMod(fm as FlowModMsg, { duration_sec: 12, duration_nsec: 345000000, packet_count: 3n, byte_count: 294n });
    expect(line).toBe(
      ' cookie=0x2a, duration=12.345s, table=0, n_packets=3, n_bytes=294, idle_timeout=60, send_flow_rem priority=100,in_port=1,dl_src=aa:bb:cc:dd:ee:01,dl_dst=aa:bb:cc:dd:ee:02 actions=output:2',
    );
  });

  it('prints durations as ofp_print_duration does', () => {
    expect(formatDuration(7, 0)).toBe('7s');
    expect(formatDuration(0, 1_000_000)).toBe('0.001s');
    expect(formatDuration(5, 1500)).toBe('5.0000015s');
  });
});
