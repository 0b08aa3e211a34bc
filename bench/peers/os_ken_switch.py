"""Minimal MAC-learning switch for os-ken, used as a benchmark peer.

Per datapath: a table MAC -> port. A PACKET_IN teaches the source MAC; an unknown destination
is flooded; a known one gets a flow (in_port, eth_src, eth_dst -> output) and a PACKET_OUT.
Works for OpenFlow 1.0 and 1.3 (the version is the one negotiated with each switch).
Run with: osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port PORT bench/peers/os_ken_switch.py
"""
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_0, ofproto_v1_3

IDLE_TIMEOUT = 60
PRIORITY = 100


def mac_text(raw):
    return ":".join("%02x" % b for b in raw)


class BenchLearningSwitch(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_0.OFP_VERSION, ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tables = {}

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_features(self, ev):
        dp = ev.msg.datapath
        self.tables[dp.id] = {}
        if dp.ofproto.OFP_VERSION != ofproto_v1_3.OFP_VERSION:
            return
        ofp, parser = dp.ofproto, dp.ofproto_parser
        # 1.3 drops unmatched packets unless a priority-0 entry sends them to the controller.
        to_ctrl = [parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)]
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, to_ctrl)]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, priority=0, match=parser.OFPMatch(), instructions=inst))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def on_packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        v13 = ofp.OFP_VERSION == ofproto_v1_3.OFP_VERSION
        in_port = msg.match["in_port"] if v13 else msg.in_port
        data = msg.data
        if len(data) < 14:
            return
        dst, src = mac_text(data[0:6]), mac_text(data[6:12])
        if data[6] & 1:
            return  # a group address never sends
        table = self.tables.setdefault(dp.id, {})
        table[src] = in_port

        out_port = None if data[0] & 1 else table.get(dst)
        if out_port == in_port:
            return
        if out_port is None:
            out_port = ofp.OFPP_FLOOD
        actions = [parser.OFPActionOutput(out_port)]

        if out_port != ofp.OFPP_FLOOD:
            if v13:
                match = parser.OFPMatch(in_port=in_port, eth_src=src, eth_dst=dst)
                inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
                fm = parser.OFPFlowMod(datapath=dp, priority=PRIORITY, idle_timeout=IDLE_TIMEOUT,
                                       match=match, instructions=inst)
            else:
                match = parser.OFPMatch(in_port=in_port, dl_src=data[6:12], dl_dst=data[0:6])
                fm = parser.OFPFlowMod(datapath=dp, match=match, priority=PRIORITY,
                                       idle_timeout=IDLE_TIMEOUT, actions=actions)
            dp.send_msg(fm)

        unbuffered = msg.buffer_id == ofp.OFP_NO_BUFFER
        dp.send_msg(parser.OFPPacketOut(datapath=dp, buffer_id=msg.buffer_id, in_port=in_port,
                                        actions=actions, data=data if unbuffered else None))
