/** OpenFlow 1.0 (wire version 0x01) numbers and struct sizes, named as in the 1.0.0 spec. */

export const OFP_VERSION = 0x01;

// enum ofp_type
export const OFPT_HELLO = 0;
export const OFPT_ERROR = 1;
export const OFPT_ECHO_REQUEST = 2;
export const OFPT_ECHO_REPLY = 3;
export const OFPT_VENDOR = 4;
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
export const OFPT_PORT_MOD = 15;
export const OFPT_STATS_REQUEST = 16;
export const OFPT_STATS_REPLY = 17;
export const OFPT_BARRIER_REQUEST = 18;
export const OFPT_BARRIER_REPLY = 19;
export const OFPT_QUEUE_GET_CONFIG_REQUEST = 20;
export const OFPT_QUEUE_GET_CONFIG_REPLY = 21;

// enum ofp_port (16-bit)
export const OFPP_MAX = 0xff00;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL = 0xfffe;
export const OFPP_NONE = 0xffff;

export const OFP_NO_BUFFER = 0xffffffff;
export const OFP_DEFAULT_MISS_SEND_LEN = 128;
export const OFP_VLAN_NONE = 0xffff;
export const OFP_MAX_PORT_NAME_LEN = 16;
export const OFP_MAX_TABLE_NAME_LEN = 32;
export const DESC_STR_LEN = 256;
export const SERIAL_NUM_LEN = 32;

// enum ofp_flow_wildcards
export const OFPFW_IN_PORT = 1 << 0;
export const OFPFW_DL_VLAN = 1 << 1;
export const OFPFW_DL_SRC = 1 << 2;
export const OFPFW_DL_DST = 1 << 3;
export const OFPFW_DL_TYPE = 1 << 4;
export const OFPFW_NW_PROTO = 1 << 5;
export const OFPFW_TP_SRC = 1 << 6;
export const OFPFW_TP_DST = 1 << 7;
export const OFPFW_NW_SRC_SHIFT = 8;
export const OFPFW_NW_SRC_BITS = 6;
export const OFPFW_NW_SRC_MASK = ((1 << OFPFW_NW_SRC_BITS) - 1) << OFPFW_NW_SRC_SHIFT;
export const OFPFW_NW_SRC_ALL = 32 << OFPFW_NW_SRC_SHIFT;
export const OFPFW_NW_DST_SHIFT = 14;
export const OFPFW_NW_DST_BITS = 6;
export const OFPFW_NW_DST_MASK = ((1 << OFPFW_NW_DST_BITS) - 1) << OFPFW_NW_DST_SHIFT;
export const OFPFW_NW_DST_ALL = 32 << OFPFW_NW_DST_SHIFT;
export const OFPFW_DL_VLAN_PCP = 1 << 20;
export const OFPFW_NW_TOS = 1 << 21;
export const OFPFW_ALL = (1 << 22) - 1;

// enum ofp_action_type
export const OFPAT_OUTPUT = 0;
export const OFPAT_SET_VLAN_VID = 1;
export const OFPAT_SET_VLAN_PCP = 2;
export const OFPAT_STRIP_VLAN = 3;
export const OFPAT_SET_DL_SRC = 4;
export const OFPAT_SET_DL_DST = 5;
export const OFPAT_SET_NW_SRC = 6;
export const OFPAT_SET_NW_DST = 7;
export const OFPAT_SET_NW_TOS = 8;
export const OFPAT_SET_TP_SRC = 9;
export const OFPAT_SET_TP_DST = 10;
export const OFPAT_ENQUEUE = 11;
export const OFPAT_VENDOR = 0xffff;

// enum ofp_flow_mod_command
export const OFPFC_ADD = 0;
export const OFPFC_MODIFY = 1;
export const OFPFC_MODIFY_STRICT = 2;
export const OFPFC_DELETE = 3;
export const OFPFC_DELETE_STRICT = 4;

// enum ofp_flow_mod_flags
export const OFPFF_SEND_FLOW_REM = 1 << 0;
export const OFPFF_CHECK_OVERLAP = 1 << 1;
export const OFPFF_EMERG = 1 << 2;

// enum ofp_stats_types
export const OFPST_DESC = 0;
export const OFPST_FLOW = 1;
export const OFPST_AGGREGATE = 2;
export const OFPST_TABLE = 3;
export const OFPST_PORT = 4;
export const OFPST_QUEUE = 5;
export const OFPST_VENDOR = 0xffff;
export const OFPSF_REPLY_MORE = 1 << 0;

// enum ofp_error_type
export const OFPET_HELLO_FAILED = 0;
export const OFPET_BAD_REQUEST = 1;
export const OFPET_BAD_ACTION = 2;
export const OFPET_FLOW_MOD_FAILED = 3;
export const OFPET_PORT_MOD_FAILED = 4;
export const OFPET_QUEUE_OP_FAILED = 5;
// enum ofp_hello_failed_code
export const OFPHFC_INCOMPATIBLE = 0;
export const OFPHFC_EPERM = 1;
// enum ofp_bad_request_code
export const OFPBRC_BAD_VERSION = 0;
export const OFPBRC_BAD_TYPE = 1;
export const OFPBRC_BAD_STAT = 2;
export const OFPBRC_BAD_VENDOR = 3;
export const OFPBRC_BAD_SUBTYPE = 4;
export const OFPBRC_EPERM = 5;
export const OFPBRC_BAD_LEN = 6;
export const OFPBRC_BUFFER_EMPTY = 7;
export const OFPBRC_BUFFER_UNKNOWN = 8;

// enum ofp_packet_in_reason / ofp_flow_removed_reason / ofp_port_reason
export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPRR_IDLE_TIMEOUT = 0;
export const OFPRR_HARD_TIMEOUT = 1;
export const OFPRR_DELETE = 2;
export const OFPPR_ADD = 0;
export const OFPPR_DELETE = 1;
export const OFPPR_MODIFY = 2;

// enum ofp_config_flags
export const OFPC_FRAG_NORMAL = 0;
export const OFPC_FRAG_DROP = 1;
export const OFPC_FRAG_REASM = 2;
export const OFPC_FRAG_MASK = 3;

// Struct sizes (sizeof in the 1.0 spec), checked in sizes.test.ts.
export const OFP_HEADER_SIZE = 8;
export const OFP_HELLO_SIZE = 8;
export const OFP_SWITCH_CONFIG_SIZE = 12;
export const OFP_PHY_PORT_SIZE = 48;
export const OFP_SWITCH_FEATURES_SIZE = 32;
export const OFP_PORT_STATUS_SIZE = 64;
export const OFP_PORT_MOD_SIZE = 32;
/** sizeof(ofp_packet_in) is 20 but data starts at offset 18 (2 bytes of tail padding). */
export const OFP_PACKET_IN_SIZE = 20;
export const OFP_PACKET_IN_DATA_OFFSET = 18;
export const OFP_ACTION_HEADER_SIZE = 8;
export const OFP_ACTION_OUTPUT_SIZE = 8;
export const OFP_ACTION_VLAN_VID_SIZE = 8;
export const OFP_ACTION_VLAN_PCP_SIZE = 8;
export const OFP_ACTION_DL_ADDR_SIZE = 16;
export const OFP_ACTION_NW_ADDR_SIZE = 8;
export const OFP_ACTION_NW_TOS_SIZE = 8;
export const OFP_ACTION_TP_PORT_SIZE = 8;
export const OFP_ACTION_ENQUEUE_SIZE = 16;
export const OFP_ACTION_VENDOR_HEADER_SIZE = 8;
export const OFP_PACKET_OUT_SIZE = 16;
export const OFP_MATCH_SIZE = 40;
export const OFP_FLOW_MOD_SIZE = 72;
export const OFP_FLOW_REMOVED_SIZE = 88;
export const OFP_ERROR_MSG_SIZE = 12;
export const OFP_STATS_MSG_SIZE = 12;
export const OFP_DESC_STATS_SIZE = 1068;
export const OFP_FLOW_STATS_REQUEST_SIZE = 56;
export const OFP_FLOW_STATS_SIZE = 88;
export const OFP_AGGREGATE_STATS_REPLY_SIZE = 36;
export const OFP_TABLE_STATS_SIZE = 64;
export const OFP_PORT_STATS_REQUEST_SIZE = 20;
export const OFP_PORT_STATS_SIZE = 104;
export const OFP_VENDOR_HEADER_SIZE = 12;
