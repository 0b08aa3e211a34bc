/** OpenFlow 1.3 (wire version 0x04) numbers and struct sizes, named as in the 1.3 spec. */

export const OFP_VERSION = 0x04;

// enum ofp_type
export const OFPT_HELLO = 0;
export const OFPT_ERROR = 1;
export const OFPT_ECHO_REQUEST = 2;
export const OFPT_ECHO_REPLY = 3;
export const OFPT_EXPERIMENTER = 4;
export const OFPT_FEATURES_REQUEST = 5;
export const OFPT_FEATURES_REPLY = 6;
export const OFPT_GET_CONFIG_REQUEST = 7;
export const OFPT_GET_CONFIG_REPLY = 8;
export const OFPT_SET_CONFIG = 9;
export const OFPT_PACKET_IN = 10;
export const OFPT_FLOW_REMOVED = 11;
export const OFPT_PORT_STATUS = 12;
export const OFPT_PACKET_OUT = 13;
export const OFPT_FLOW_MOD = 14;
export const OFPT_GROUP_MOD = 15;
export const OFPT_PORT_MOD = 16;
export const OFPT_TABLE_MOD = 17;
export const OFPT_MULTIPART_REQUEST = 18;
export const OFPT_MULTIPART_REPLY = 19;
export const OFPT_BARRIER_REQUEST = 20;
export const OFPT_BARRIER_REPLY = 21;
export const OFPT_QUEUE_GET_CONFIG_REQUEST = 22;
export const OFPT_QUEUE_GET_CONFIG_REPLY = 23;
export const OFPT_ROLE_REQUEST = 24;
export const OFPT_ROLE_REPLY = 25;
export const OFPT_GET_ASYNC_REQUEST = 26;
export const OFPT_GET_ASYNC_REPLY = 27;
export const OFPT_SET_ASYNC = 28;
export const OFPT_METER_MOD = 29;

// enum ofp_port_no
export const OFPP_MAX = 0xffffff00;
export const OFPP_IN_PORT = 0xfffffff8;
export const OFPP_TABLE = 0xfffffff9;
export const OFPP_NORMAL = 0xfffffffa;
export const OFPP_FLOOD = 0xfffffffb;
export const OFPP_ALL = 0xfffffffc;
export const OFPP_CONTROLLER = 0xfffffffd;
export const OFPP_LOCAL = 0xfffffffe;
export const OFPP_ANY = 0xffffffff;

export const OFP_NO_BUFFER = 0xffffffff;
export const OFPCML_MAX = 0xffe5;
export const OFPCML_NO_BUFFER = 0xffff;
export const OFPTT_MAX = 0xfe;
export const OFPTT_ALL = 0xff;
export const OFPG_MAX = 0xffffff00;
export const OFPG_ALL = 0xfffffffc;
export const OFPG_ANY = 0xffffffff;
export const OFP_DEFAULT_MISS_SEND_LEN = 128;
export const OFP_MAX_PORT_NAME_LEN = 16;
export const OFP_MAX_TABLE_NAME_LEN = 32;
export const DESC_STR_LEN = 256;
export const SERIAL_NUM_LEN = 32;

// enum ofp_hello_elem_type
export const OFPHET_VERSIONBITMAP = 1;

// enum ofp_match_type
export const OFPMT_STANDARD = 0;
export const OFPMT_OXM = 1;

// enum ofp_oxm_class
export const OFPXMC_NXM_0 = 0x0000;
export const OFPXMC_NXM_1 = 0x0001;
export const OFPXMC_OPENFLOW_BASIC = 0x8000;
export const OFPXMC_EXPERIMENTER = 0xffff;

// enum oxm_ofb_match_fields
export const OFPXMT_OFB_IN_PORT = 0;
export const OFPXMT_OFB_IN_PHY_PORT = 1;
export const OFPXMT_OFB_METADATA = 2;
export const OFPXMT_OFB_ETH_DST = 3;
export const OFPXMT_OFB_ETH_SRC = 4;
export const OFPXMT_OFB_ETH_TYPE = 5;
export const OFPXMT_OFB_VLAN_VID = 6;
export const OFPXMT_OFB_VLAN_PCP = 7;
export const OFPXMT_OFB_IP_DSCP = 8;
export const OFPXMT_OFB_IP_ECN = 9;
export const OFPXMT_OFB_IP_PROTO = 10;
export const OFPXMT_OFB_IPV4_SRC = 11;
export const OFPXMT_OFB_IPV4_DST = 12;
export const OFPXMT_OFB_TCP_SRC = 13;
export const OFPXMT_OFB_TCP_DST = 14;
export const OFPXMT_OFB_UDP_SRC = 15;
export const OFPXMT_OFB_UDP_DST = 16;
export const OFPXMT_OFB_SCTP_SRC = 17;
export const OFPXMT_OFB_SCTP_DST = 18;
export const OFPXMT_OFB_ICMPV4_TYPE = 19;
export const OFPXMT_OFB_ICMPV4_CODE = 20;
export const OFPXMT_OFB_ARP_OP = 21;
export const OFPXMT_OFB_ARP_SPA = 22;
export const OFPXMT_OFB_ARP_TPA = 23;
export const OFPXMT_OFB_ARP_SHA = 24;
export const OFPXMT_OFB_ARP_THA = 25;
export const OFPXMT_OFB_IPV6_SRC = 26;
export const OFPXMT_OFB_IPV6_DST = 27;
export const OFPXMT_OFB_TUNNEL_ID = 38;

// enum ofp_vlan_id
export const OFPVID_PRESENT = 0x1000;
export const OFPVID_NONE = 0x0000;

// enum ofp_action_type
export const OFPAT_OUTPUT = 0;
export const OFPAT_COPY_TTL_OUT = 11;
export const OFPAT_COPY_TTL_IN = 12;
export const OFPAT_SET_MPLS_TTL = 15;
export const OFPAT_DEC_MPLS_TTL = 16;
export const OFPAT_PUSH_VLAN = 17;
export const OFPAT_POP_VLAN = 18;
export const OFPAT_PUSH_MPLS = 19;
export const OFPAT_POP_MPLS = 20;
export const OFPAT_SET_QUEUE = 21;
export const OFPAT_GROUP = 22;
export const OFPAT_SET_NW_TTL = 23;
export const OFPAT_DEC_NW_TTL = 24;
export const OFPAT_SET_FIELD = 25;
export const OFPAT_PUSH_PBB = 26;
export const OFPAT_POP_PBB = 27;
export const OFPAT_EXPERIMENTER = 0xffff;

// enum ofp_instruction_type
export const OFPIT_GOTO_TABLE = 1;
export const OFPIT_WRITE_METADATA = 2;
export const OFPIT_WRITE_ACTIONS = 3;
export const OFPIT_APPLY_ACTIONS = 4;
export const OFPIT_CLEAR_ACTIONS = 5;
export const OFPIT_METER = 6;
export const OFPIT_EXPERIMENTER = 0xffff;

// enum ofp_flow_mod_command
export const OFPFC_ADD = 0;
export const OFPFC_MODIFY = 1;
export const OFPFC_MODIFY_STRICT = 2;
export const OFPFC_DELETE = 3;
export const OFPFC_DELETE_STRICT = 4;

// enum ofp_flow_mod_flags
export const OFPFF_SEND_FLOW_REM = 1 << 0;
export const OFPFF_CHECK_OVERLAP = 1 << 1;
export const OFPFF_RESET_COUNTS = 1 << 2;
export const OFPFF_NO_PKT_COUNTS = 1 << 3;
export const OFPFF_NO_BYT_COUNTS = 1 << 4;

// enum ofp_multipart_type
export const OFPMP_DESC = 0;
export const OFPMP_FLOW = 1;
export const OFPMP_AGGREGATE = 2;
export const OFPMP_TABLE = 3;
export const OFPMP_PORT_STATS = 4;
export const OFPMP_QUEUE = 5;
export const OFPMP_GROUP = 6;
export const OFPMP_GROUP_DESC = 7;
export const OFPMP_GROUP_FEATURES = 8;
export const OFPMP_METER = 9;
export const OFPMP_METER_CONFIG = 10;
export const OFPMP_METER_FEATURES = 11;
export const OFPMP_TABLE_FEATURES = 12;
export const OFPMP_PORT_DESC = 13;
export const OFPMP_EXPERIMENTER = 0xffff;
export const OFPMPF_REQ_MORE = 1 << 0;
export const OFPMPF_REPLY_MORE = 1 << 0;

// enum ofp_controller_role
export const OFPCR_ROLE_NOCHANGE = 0;
export const OFPCR_ROLE_EQUAL = 1;
export const OFPCR_ROLE_MASTER = 2;
export const OFPCR_ROLE_SLAVE = 3;

// enum ofp_error_type
export const OFPET_HELLO_FAILED = 0;
export const OFPET_BAD_REQUEST = 1;
export const OFPET_BAD_ACTION = 2;
export const OFPET_BAD_INSTRUCTION = 3;
export const OFPET_BAD_MATCH = 4;
export const OFPET_FLOW_MOD_FAILED = 5;
export const OFPET_GROUP_MOD_FAILED = 6;
export const OFPET_PORT_MOD_FAILED = 7;
export const OFPET_TABLE_MOD_FAILED = 8;
export const OFPET_QUEUE_OP_FAILED = 9;
export const OFPET_SWITCH_CONFIG_FAILED = 10;
export const OFPET_ROLE_REQUEST_FAILED = 11;
export const OFPET_METER_MOD_FAILED = 12;
export const OFPET_TABLE_FEATURES_FAILED = 13;
export const OFPET_EXPERIMENTER = 0xffff;
// enum ofp_hello_failed_code
export const OFPHFC_INCOMPATIBLE = 0;
export const OFPHFC_EPERM = 1;
// enum ofp_bad_request_code
export const OFPBRC_BAD_VERSION = 0;
export const OFPBRC_BAD_TYPE = 1;
export const OFPBRC_BAD_MULTIPART = 2;
export const OFPBRC_BAD_EXPERIMENTER = 3;
export const OFPBRC_BAD_EXP_TYPE = 4;
export const OFPBRC_EPERM = 5;
export const OFPBRC_BAD_LEN = 6;
export const OFPBRC_BUFFER_EMPTY = 7;
export const OFPBRC_BUFFER_UNKNOWN = 8;
export const OFPBRC_BAD_TABLE_ID = 9;
export const OFPBRC_IS_SLAVE = 10;
export const OFPBRC_BAD_PORT = 11;
export const OFPBRC_BAD_PACKET = 12;
export const OFPBRC_MULTIPART_BUFFER_OVERFLOW = 13;

// enum ofp_packet_in_reason / ofp_flow_removed_reason / ofp_port_reason
export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPR_INVALID_TTL = 2;
export const OFPRR_IDLE_TIMEOUT = 0;
export const OFPRR_HARD_TIMEOUT = 1;
export const OFPRR_DELETE = 2;
export const OFPRR_GROUP_DELETE = 3;
export const OFPPR_ADD = 0;
export const OFPPR_DELETE = 1;
export const OFPPR_MODIFY = 2;

// enum ofp_port_config / ofp_port_state
export const OFPPC_PORT_DOWN = 1 << 0;
export const OFPPC_NO_RECV = 1 << 2;
export const OFPPC_NO_FWD = 1 << 5;
export const OFPPC_NO_PACKET_IN = 1 << 6;
export const OFPPS_LINK_DOWN = 1 << 0;
export const OFPPS_BLOCKED = 1 << 1;
export const OFPPS_LIVE = 1 << 2;

// Struct sizes (sizeof in the 1.3 spec), checked in sizes.test.ts.
export const OFP_HEADER_SIZE = 8;
export const OFP_HELLO_SIZE = 8;
export const OFP_HELLO_ELEM_HEADER_SIZE = 4;
export const OFP_HELLO_ELEM_VERSIONBITMAP_SIZE = 4;
export const OFP_SWITCH_CONFIG_SIZE = 12;
export const OFP_PORT_SIZE = 64;
export const OFP_SWITCH_FEATURES_SIZE = 32;
export const OFP_PORT_STATUS_SIZE = 80;
export const OFP_PORT_MOD_SIZE = 40;
/** struct ofp_match with an empty OXM list: type, length, 4 bytes of padding. */
export const OFP_MATCH_SIZE = 8;
export const OFP_OXM_HEADER_SIZE = 4;
export const OFP_INSTRUCTION_SIZE = 4;
export const OFP_INSTRUCTION_GOTO_TABLE_SIZE = 8;
export const OFP_INSTRUCTION_WRITE_METADATA_SIZE = 24;
export const OFP_INSTRUCTION_ACTIONS_SIZE = 8;
export const OFP_ACTION_HEADER_SIZE = 8;
export const OFP_ACTION_OUTPUT_SIZE = 16;
export const OFP_ACTION_GENERIC_SIZE = 8;
export const OFP_ACTION_PUSH_SIZE = 8;
export const OFP_ACTION_GROUP_SIZE = 8;
export const OFP_ACTION_SET_FIELD_SIZE = 8;
export const OFP_FLOW_MOD_SIZE = 56;
export const OFP_FLOW_REMOVED_SIZE = 56;
export const OFP_PACKET_IN_SIZE = 32;
export const OFP_PACKET_OUT_SIZE = 24;
export const OFP_ERROR_MSG_SIZE = 12;
export const OFP_ERROR_EXPERIMENTER_MSG_SIZE = 16;
export const OFP_MULTIPART_REQUEST_SIZE = 16;
export const OFP_MULTIPART_REPLY_SIZE = 16;
export const OFP_DESC_SIZE = 1056;
export const OFP_FLOW_STATS_REQUEST_SIZE = 40;
export const OFP_FLOW_STATS_SIZE = 56;
export const OFP_AGGREGATE_STATS_REPLY_SIZE = 24;
export const OFP_TABLE_STATS_SIZE = 24;
export const OFP_PORT_STATS_REQUEST_SIZE = 8;
export const OFP_PORT_STATS_SIZE = 112;
export const OFP_ROLE_REQUEST_SIZE = 24;
