// Real frames, laid out header by header; checksums computed independently and the set checked with tcpdump -vv
// (every checksum "correct"); the same bytes went into real OVS 3.1 (ovs-dump-flows.ts, capture-ovs-flows.sh).
import { fromHex } from '../../src/packet/bytes.js';

/** The frames, by name. Addresses: A = 50:54:00:00:00:05 / 10.0.0.5 / 2001:db8::5, B = …:07 / .7 / ::7. */
export const FRAMES = {
  /** IPv4 ICMP echo request 10.0.0.5 -> 10.0.0.7, id 0x0b0c seq 1, 8 data bytes. */
  icmpEcho: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    45000024 # ipv4 ver 4 ihl 5 tos 0x00 total length 36
    12344000 # id 0x1234 flags/frag 0x4000
    4001149a # ttl 64 proto 1 header checksum 0x149a
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    0800a0a2 # icmp type 8 code 0 checksum 0xa0a2
    0b0c0001 # id 2828 seq 1
    1011121314151617 # icmp data
  `),
  /** ARP request who-has 10.0.0.7 tell 10.0.0.5. */
  arpRequest: fromHex(`
    ffffffffffff # eth dst ff:ff:ff:ff:ff:ff
    505400000005 # eth src 50:54:00:00:00:05
    0806 # ethertype 0x0806
    0001080006040001 # arp hrd 1 (ethernet) pro 0x0800 hln 6 pln 4 op 1
    505400000005 # sha 50:54:00:00:00:05
    0a000005 # spa 10.0.0.5
    000000000000 # tha 00:00:00:00:00:00
    0a000007 # tpa 10.0.0.7
  `),
  /** ARP reply 10.0.0.7 is-at 50:54:00:00:00:07. */
  arpReply: fromHex(`
    505400000005 # eth dst 50:54:00:00:00:05
    505400000007 # eth src 50:54:00:00:00:07
    0806 # ethertype 0x0806
    0001080006040002 # arp hrd 1 (ethernet) pro 0x0800 hln 6 pln 4 op 2
    505400000007 # sha 50:54:00:00:00:07
    0a000007 # spa 10.0.0.7
    505400000005 # tha 50:54:00:00:00:05
    0a000005 # tpa 10.0.0.5
  `),
  /** IPv4 TCP SYN 10.0.0.5:40000 -> 10.0.0.7:80 with an MSS option. */
  tcpSyn: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    4500002c # ipv4 ver 4 ihl 5 tos 0x00 total length 44
    12344000 # id 0x1234 flags/frag 0x4000
    4006148d # ttl 64 proto 6 header checksum 0x148d
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    9c400050 # tcp 40000 -> 80
    0000000100000000 # seq 1 ack 0
    6002faf0 # data offset 6 flags 0x002 window 64240
    ec980000 # checksum 0xec98 urgent 0
    020405b4 # tcp options
  `),
  /** IPv4 UDP 10.0.0.5:5000 -> 10.0.0.7:53, tos 0x28 ttl 17, payload "tsovs!". */
  udp4: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    45280022 # ipv4 ver 4 ihl 5 tos 0x28 total length 34
    12344000 # id 0x1234 flags/frag 0x4000
    11114364 # ttl 17 proto 17 header checksum 0x4364
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    13880035000e80fe # udp 5000 -> 53 length 14 checksum 0x80fe
    74736f767321 # udp payload
  `),
  /** 802.1Q vid 10 pcp 3, IPv4 UDP 5001 -> 5002. */
  vlanUdp: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    8100600a # tag tpid 0x8100 pcp 3 vid 10
    0800 # ethertype 0x0800
    4500001c # ipv4 ver 4 ihl 5 tos 0x00 total length 28
    12344000 # id 0x1234 flags/frag 0x4000
    40111492 # ttl 64 proto 17 header checksum 0x1492
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    1389138a0008c4bf # udp 5001 -> 5002 length 8 checksum 0xc4bf
  `),
  /** 802.1ad vid 100 pcp 5 outer, 802.1Q vid 10 inner, IPv4 ICMP echo. */
  qinqIcmp: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    88a8a064 # tag tpid 0x88a8 pcp 5 vid 100
    8100000a # tag tpid 0x8100 pcp 0 vid 10
    0800 # ethertype 0x0800
    45000020 # ipv4 ver 4 ihl 5 tos 0x00 total length 32
    12344000 # id 0x1234 flags/frag 0x4000
    4001149e # ttl 64 proto 1 header checksum 0x149e
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    0800181c # icmp type 8 code 0 checksum 0x181c
    00070002 # id 7 seq 2
    71696e71 # icmp data
  `),
  /** IPv6 UDP [2001:db8::5]:6000 -> [2001:db8::7]:6001, tclass 0x28 label 0x12345 hlim 33. */
  udp6: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    62812345 # ipv6 ver 6 tclass 0x28 flow label 0x12345
    000d1121 # payload length 13 next header 17 hop limit 33
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    17701771000d19da # udp 6000 -> 6001 length 13 checksum 0x19da
    7636756470 # udp payload
  `),
  /** IPv6 TCP SYN|ACK|ECE [2001:db8::5]:443 -> [2001:db8::7]:50000. */
  tcp6: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    00140640 # payload length 20 next header 6 hop limit 64
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    01bbc350 # tcp 443 -> 50000
    000003e8000007d0 # seq 1000 ack 2000
    5052faf0 # data offset 5 flags 0x052 window 64240
    88600000 # checksum 0x8860 urgent 0
  `),
  /** IPv6 neighbour solicitation for 2001:db8::7 from 2001:db8::5 with a source link-layer option. */
  ndSolicit: fromHex(`
    3333ff000007 # eth dst 33:33:ff:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    00203aff # payload length 32 next header 58 hop limit 255
    20010db8000000000000000000000005 # src 2001:db8::5
    ff0200000000000000000001ff000007 # dst ff02::1:ff00:7
    8700cdc000000000 # icmpv6 type 135 (NS) code 0 checksum 0xcdc0 reserved 0
    20010db8000000000000000000000007 # target 2001:db8::7
    0101505400000005 # option 1 (source link-layer) len 1: 50:54:00:00:00:05
  `),
  /** IPv6 neighbour advertisement 2001:db8::7 is at 50:54:00:00:00:07 (solicited, override). */
  ndAdvert: fromHex(`
    505400000005 # eth dst 50:54:00:00:00:05
    505400000007 # eth src 50:54:00:00:00:07
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    00203aff # payload length 32 next header 58 hop limit 255
    20010db8000000000000000000000007 # src 2001:db8::7
    20010db8000000000000000000000005 # dst 2001:db8::5
    88003c0a60000000 # icmpv6 type 136 (NA) code 0 checksum 0x3c0a flags S|O
    20010db8000000000000000000000007 # target 2001:db8::7
    0201505400000007 # option 2 (target link-layer) len 1: 50:54:00:00:00:07
  `),
  /** IPv6 ICMPv6 echo request 2001:db8::5 -> 2001:db8::7. */
  icmp6Echo: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    000c3a40 # payload length 12 next header 58 hop limit 64
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    8000456000090001 # icmpv6 type 128 (echo request) code 0 checksum 0x4560 id 9 seq 1
    70696e67 # data "ping"
  `),
  /** IPv4 first fragment (MF, offset 0) of a UDP datagram 7000 -> 7001. */
  frag4First: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    45000024 # ipv4 ver 4 ihl 5 tos 0x00 total length 36
    42422000 # id 0x4242 flags/frag 0x2000
    4011047c # ttl 64 proto 17 header checksum 0x047c
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    1b581b5900187cc1 # udp header 7000 -> 7001 length 24 (whole datagram)
    0001020304050607 # first 8 payload bytes
  `),
  /** IPv4 last fragment (offset 1 = 8 bytes) of the same datagram. */
  frag4Later: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    4500001c # ipv4 ver 4 ihl 5 tos 0x00 total length 28
    42420001 # id 0x4242 flags/frag 0x0001
    40112483 # ttl 64 proto 17 header checksum 0x2483
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    08090a0b0c0d0e0f # last 8 payload bytes
  `),
  /** IPv6 first fragment (fragment header M=1 offset 0) of a UDP datagram. */
  frag6First: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    00182c40 # payload length 24 next header 44 hop limit 64
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    110000010000abcd # fragment header: next 17 (udp), offset 0, M=1, id 0xabcd
    1b581b590018354f # udp header 7000 -> 7001 length 24
    0001020304050607 # first 8 payload bytes
  `),
  /** IPv6 last fragment (offset 16 bytes) of the same datagram. */
  frag6Later: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    00102c40 # payload length 16 next header 44 hop limit 64
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    110000100000abcd # fragment header: next 17, offset 2 (16 bytes), M=0, id 0xabcd
    08090a0b0c0d0e0f # last 8 payload bytes
  `),
  /** 802.3 frame with an LLC (not SNAP) header. */
  llc: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0026 # 802.3 length 38
    424203 # llc dsap 0x42 ssap 0x42 control 0x03
    0000000000000000000000000000000000000000000000000000000000000000000000 # 35 zero bytes
  `),
  /** 802.3 LLC/SNAP (OUI 0, type 0x0800) carrying IPv4 UDP 8000 -> 8001. */
  snapIpv4: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0024 # 802.3 length 36
    aaaa030000000800 # llc aa aa 03, snap oui 00:00:00 type 0x0800
    4500001c # ipv4 ver 4 ihl 5 tos 0x00 total length 28
    12344000 # id 0x1234 flags/frag 0x4000
    40111492 # ttl 64 proto 17 header checksum 0x1492
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    1f401f410008ad51 # udp 8000 -> 8001 length 8 checksum 0xad51
  `),
  /** IPv6 with hop-by-hop and destination-options headers before UDP 9000 -> 9001. */
  ext6Udp: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    86dd # ethertype 0x86dd
    60000000 # ipv6 ver 6 tclass 0x00 flow label 0x00000
    001a0040 # payload length 26 next header 0 hop limit 64
    20010db8000000000000000000000005 # src 2001:db8::5
    20010db8000000000000000000000007 # dst 2001:db8::7
    3c00010400000000 # hop-by-hop: next 60, hdr ext len 0, PadN 4
    1100010400000000 # destination options: next 17, len 0, PadN 4
    23282329000ae591 # udp 9000 -> 9001 length 10
    7879 # payload "xy"
  `),
  /** IPv4 with a router-alert option (IHL 6), TCP PSH|ACK 1234 -> 22 carrying "hi". */
  ipOptsTcp: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    4600002e # ipv4 ver 4 ihl 6 tos 0x00 total length 46
    12344000 # id 0x1234 flags/frag 0x4000
    40067f86 # ttl 64 proto 6 header checksum 0x7f86
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    94040000 # ipv4 options
    04d20016 # tcp 1234 -> 22
    0000000500000006 # seq 5 ack 6
    5018faf0 # data offset 5 flags 0x018 window 64240
    33720000 # checksum 0x3372 urgent 0
    6869 # tcp payload
  `),
  /** IPv4 SCTP common header 3868 -> 3868. */
  sctp: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    45000020 # ipv4 ver 4 ihl 5 tos 0x00 total length 32
    12344000 # id 0x1234 flags/frag 0x4000
    4084141b # ttl 64 proto 132 header checksum 0x141b
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    0f1c0f1c0000000000000000 # sctp common header 3868 -> 3868, tag 0, checksum 0 (not checked)
  `),
  /** IPv4 whose total length (100) exceeds the 28 bytes present. */
  ipv4TotLenLie: fromHex(`
    505400000007 # eth dst 50:54:00:00:00:07
    505400000005 # eth src 50:54:00:00:00:05
    0800 # ethertype 0x0800
    45000064 # ipv4 ver 4 ihl 5 tos 0x00 total length 100
    12344000 # id 0x1234 flags/frag 0x4000
    4011144a # ttl 64 proto 17 header checksum 0x144a
    0a000005 # src 10.0.0.5
    0a000007 # dst 10.0.0.7
    000100020008ebcf # udp 1 -> 2 length 8 checksum 0xebcf
  `),
};
