// The datapath flow key: the fields of a frame that flow caches hash and match, laid out as 32-bit words
// in a preallocated Uint32Array so that extraction, masking and hashing allocate nothing. The layout is
// shared by src/packet (extraction, formatting), src/datapath (caches) and src/ofproto (translation masks).
// Multi-byte fields are stored big-endian-in-value: MAC aa:bb:cc:dd:ee:ff is HI=0xaabb, LO=0xccddeeff.

/** Datapath port number the frame arrived on. */
export const K_IN_PORT = 0;
/** Recirculation id (0 until recirculation exists). */
export const K_RECIRC = 1;
/** Destination MAC bytes 0-1 (low 16 bits). */
export const K_DL_DST_HI = 2;
/** Destination MAC bytes 2-5. */
export const K_DL_DST_LO = 3;
/** Source MAC bytes 0-1 (low 16 bits). */
export const K_DL_SRC_HI = 4;
/** Source MAC bytes 2-5. */
export const K_DL_SRC_LO = 5;
/** Ethertype after any VLAN tags; 0x05ff (OVS's FLOW_DL_TYPE_NONE) for 802.3 length frames. */
export const K_DL_TYPE = 6;
/** Outer VLAN tag: TPID << 16 | TCI | 0x1000 (OVS's VLAN_CFI "tag present" bit); 0 when untagged. */
export const K_VLAN0 = 7;
/** Inner VLAN tag (802.1ad QinQ), same encoding; 0 when absent. */
export const K_VLAN1 = 8;
/** IPv4 source, or ARP sender protocol address. */
export const K_NW_SRC = 9;
/** IPv4 destination, or ARP target protocol address. */
export const K_NW_DST = 10;
/** NW_PROTO (bits 0-7; ARP opcode for ARP) | TOS byte << 8 (DSCP|ECN) | TTL << 16 | FRAG << 24. */
export const K_NW = 11;
/** TP_SRC << 16 | TP_DST (ICMP/ICMPv6: type << 16 | code). */
export const K_TP = 12;
/** TCP flags (12 bits). */
export const K_TCP_FLAGS = 13;
/** IPv6 source, 4 words. */
export const K_IPV6_SRC = 14;
/** IPv6 destination, 4 words. */
export const K_IPV6_DST = 18;
/** IPv6 flow label (20 bits). */
export const K_IPV6_LABEL = 22;
/** ICMPv6 neighbour discovery target, 4 words. */
export const K_ND_TARGET = 23;
/** ARP sender hardware address (or ND source link-layer address), HI/LO like the MACs. */
export const K_ARP_SHA_HI = 27;
export const K_ARP_SHA_LO = 28;
/** ARP target hardware address (or ND target link-layer address). */
export const K_ARP_THA_HI = 29;
export const K_ARP_THA_LO = 30;
/** Tunnel id (64 bits), high and low words; written by tunnel ports, 0 otherwise. */
export const K_TUN_ID_HI = 31;
export const K_TUN_ID_LO = 32;
/** Tunnel outer IPv4 source and destination. */
export const K_TUN_SRC = 33;
export const K_TUN_DST = 34;
/** Tunnel flags (bit 0: key present, bit 1: checksum, bit 2: don't fragment) | TOS << 8 | TTL << 16. */
export const K_TUN_FLAGS = 35;
/** Words in a key. */
export const KEY_WORDS = 36;

/** VLAN "tag present" bit in K_VLAN0/K_VLAN1 (OVS's VLAN_CFI). */
export const VLAN_PRESENT = 0x1000;
/** K_DL_TYPE for 802.3 frames whose type field is a length. */
export const DL_TYPE_NONE = 0x05ff;

/** Bits of the FRAG byte in K_NW (OVS's FLOW_NW_FRAG_ANY and FLOW_NW_FRAG_LATER). */
export const FRAG_ANY = 1;
export const FRAG_LATER = 2;

/** Bit positions inside K_NW. */
export const NW_PROTO_SHIFT = 0;
export const NW_TOS_SHIFT = 8;
export const NW_TTL_SHIFT = 16;
export const NW_FRAG_SHIFT = 24;

/** Result of key extraction (a bit set; 0 means a well-formed frame). */
export const KEY_OK = 0;
/** The frame is shorter than an Ethernet header: the key holds only in_port. */
export const KEY_RUNT = 1;
/** An L3/L4 header was truncated or malformed: the key holds the fields before it. */
export const KEY_TRUNCATED = 2;

/** A new zeroed key. */
export function newFlowKey(): Uint32Array {
  return new Uint32Array(KEY_WORDS);
}
