// dpctl/dump-flows (and -m) lines from real OVS 3.1.0, netdev datapath, vlan-limit=2, one per frames.ts frame sent
// into port 2 (capture-ovs-flows.sh); -m lines lose their ufid and show in_port(2); stats/actions cut off.

/** One captured megaflow. */
export interface CapturedFlow {
  pass: 'normal' | 'rich';
  frame: string;
  plain: string;
  verbose: string;
}

/** The OpenFlow table of the "rich" pass (ovs-ofctl add-flows syntax). */
export const RICH_TABLE = `
priority=200,tcp,tp_dst=80,actions=NORMAL
priority=195,tcp6,tcp_flags=+syn-rst,actions=NORMAL
priority=190,udp,nw_dst=10.0.0.0/24,nw_tos=40,actions=NORMAL
priority=185,udp6,ipv6_label=0x12345,actions=NORMAL
priority=180,ipv6,ipv6_src=2001:db8::/64,nw_ttl=64,actions=NORMAL
priority=170,icmp6,icmp_type=135,nd_target=2001:db8::7,actions=NORMAL
priority=165,icmp6,icmp_type=136,nd_tll=50:54:00:00:00:07,actions=NORMAL
priority=160,arp,arp_op=2,arp_tpa=10.0.0.5,actions=NORMAL
priority=150,dl_vlan=10,dl_vlan_pcp=3,actions=NORMAL
priority=140,icmp,icmp_type=8,actions=NORMAL
priority=130,ip,nw_frag=later,actions=NORMAL
priority=120,sctp,tp_src=3868,actions=NORMAL
priority=110,dl_src=50:54:00:00:00:00/ff:ff:ff:00:00:00,dl_type=0x05ff,actions=NORMAL
priority=0,actions=NORMAL`;

/** Every captured flow, in capture order. */
export const CAPTURED: CapturedFlow[] = [
  {
    pass: 'normal',
    frame: 'icmpEcho',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=1/0,tos=0/0,ttl=64/0,frag=no),icmp(type=8/0,code=0/0)',
  },
  {
    pass: 'normal',
    frame: 'arpRequest',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.5,tip=10.0.0.7,op=1)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.5,tip=10.0.0.7,op=1,sha=50:54:00:00:00:05/00:00:00:00:00:00,tha=00:00:00:00:00:00/00:00:00:00:00:00)',
  },
  {
    pass: 'normal',
    frame: 'arpReply',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x0806)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x0806),arp(sip=10.0.0.7/0.0.0.0,tip=10.0.0.5/0.0.0.0,op=2/0,sha=50:54:00:00:00:07/00:00:00:00:00:00,tha=50:54:00:00:00:05/00:00:00:00:00:00)',
  },
  {
    pass: 'normal',
    frame: 'tcpSyn',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=6/0,tos=0/0,ttl=64/0,frag=no),tcp(src=40000/0,dst=80/0),tcp_flags(0/0)',
  },
  {
    pass: 'normal',
    frame: 'udp4',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=17/0,tos=0x28/0,ttl=17/0,frag=no),udp(src=5000/0,dst=53/0)',
  },
  {
    pass: 'normal',
    frame: 'vlanUdp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=10,pcp=3/0x0),encap(eth_type(0x0800),ipv4(frag=no))',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=10,pcp=3/0x0),encap(eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=17/0,tos=0/0,ttl=64/0,frag=no),udp(src=5001/0,dst=5002/0))',
  },
  {
    pass: 'normal',
    frame: 'qinqIcmp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x88a8),vlan(vid=100,pcp=5/0x0),encap(eth_type(0x8100),encap(eth_type(0x0800),ipv4(frag=no)))',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x88a8),vlan(vid=100,pcp=5/0x0),encap(eth_type(0x8100),vlan(vid=10/0x0,pcp=0/0x0),encap(eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=1/0,tos=0/0,ttl=64/0,frag=no),icmp(type=8/0,code=0/0)))',
  },
  {
    pass: 'normal',
    frame: 'udp6',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0x12345/0,proto=17/0,tclass=0x28/0,hlimit=33/0,frag=no),udp(src=6000/0,dst=6001/0)',
  },
  {
    pass: 'normal',
    frame: 'tcp6',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=6/0,tclass=0/0,hlimit=64/0,frag=no),tcp(src=443/0,dst=50000/0),tcp_flags(0/0)',
  },
  {
    pass: 'normal',
    frame: 'ndSolicit',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=33:33:ff:00:00:07),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=33:33:ff:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=ff02::1:ff00:7/::,label=0/0,proto=58/0,tclass=0/0,hlimit=255/0,frag=no),icmpv6(type=135/0,code=0/0),nd(target=2001:db8::7/::,sll=50:54:00:00:00:05/00:00:00:00:00:00,tll=00:00:00:00:00:00/00:00:00:00:00:00)',
  },
  {
    pass: 'normal',
    frame: 'ndAdvert',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x86dd),ipv6(src=2001:db8::7/::,dst=2001:db8::5/::,label=0/0,proto=58/0,tclass=0/0,hlimit=255/0,frag=no),icmpv6(type=136/0,code=0/0),nd(target=2001:db8::7/::,sll=00:00:00:00:00:00/00:00:00:00:00:00,tll=50:54:00:00:00:07/00:00:00:00:00:00)',
  },
  {
    pass: 'normal',
    frame: 'icmp6Echo',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=58/0,tclass=0/0,hlimit=64/0,frag=no),icmpv6(type=128/0,code=0/0)',
  },
  {
    pass: 'normal',
    frame: 'frag4First',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=first)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=17/0,tos=0/0,ttl=64/0,frag=first),udp(src=7000/0,dst=7001/0)',
  },
  {
    pass: 'normal',
    frame: 'frag4Later',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=later)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=17/0,tos=0/0,ttl=64/0,frag=later)',
  },
  {
    pass: 'normal',
    frame: 'frag6First',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=first)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=17/0,tclass=0/0,hlimit=64/0,frag=first),udp(src=7000/0,dst=7001/0)',
  },
  {
    pass: 'normal',
    frame: 'frag6Later',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=later)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=44/0,tclass=0/0,hlimit=64/0,frag=later)',
  },
  {
    pass: 'normal',
    frame: 'llc',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0/0xffff)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0/0xffff)',
  },
  {
    pass: 'normal',
    frame: 'snapIpv4',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=17/0,tos=0/0,ttl=64/0,frag=no),udp(src=8000/0,dst=8001/0)',
  },
  {
    pass: 'normal',
    frame: 'ext6Udp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=17/0,tclass=0/0,hlimit=64/0,frag=no),udp(src=9000/0,dst=9001/0)',
  },
  {
    pass: 'normal',
    frame: 'ipOptsTcp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=6/0,tos=0/0,ttl=64/0,frag=no),tcp(src=1234/0,dst=22/0),tcp_flags(0/0)',
  },
  {
    pass: 'normal',
    frame: 'sctp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=132/0,tos=0/0,ttl=64/0,frag=no),sctp(src=3868/0,dst=3868/0)',
  },
  {
    pass: 'normal',
    frame: 'ipv4TotLenLie',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0,frag=no)',
  },
  {
    pass: 'rich',
    frame: 'icmpEcho',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=1,tos=0/0xfc,frag=no),icmp(type=8)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=1,tos=0/0xfc,ttl=64/0,frag=no),icmp(type=8,code=0/0)',
  },
  {
    pass: 'rich',
    frame: 'arpRequest',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.5,tip=10.0.0.7,op=1)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.5,tip=10.0.0.7,op=1,sha=50:54:00:00:00:05/00:00:00:00:00:00,tha=00:00:00:00:00:00/00:00:00:00:00:00)',
  },
  {
    pass: 'rich',
    frame: 'arpReply',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x0806),arp(tip=10.0.0.5,op=2)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x0806),arp(sip=10.0.0.7/0.0.0.0,tip=10.0.0.5,op=2,sha=50:54:00:00:00:07/00:00:00:00:00:00,tha=50:54:00:00:00:05/00:00:00:00:00:00)',
  },
  {
    pass: 'rich',
    frame: 'tcpSyn',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/0.0.0.0,proto=6,tos=0/0,ttl=64/0,frag=no),tcp(src=40000/0,dst=80),tcp_flags(0/0)',
  },
  {
    pass: 'rich',
    frame: 'udp4',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=17,tos=0x28/0xfc,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=17,tos=0x28/0xfc,ttl=17/0,frag=no),udp(src=5000/0,dst=53/0)',
  },
  {
    pass: 'rich',
    frame: 'vlanUdp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=10,pcp=3),encap(eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,frag=no))',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x8100),vlan(vid=10,pcp=3),encap(eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,ttl=64/0,frag=no),udp(src=5001/0,dst=5002/0))',
  },
  {
    pass: 'rich',
    frame: 'qinqIcmp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x88a8),vlan(vid=100,pcp=5),encap(eth_type(0x8100),encap(eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=1,tos=0/0xfc,frag=no),icmp(type=8)))',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x88a8),vlan(vid=100,pcp=5),encap(eth_type(0x8100),vlan(vid=10/0x0,pcp=0/0x0),encap(eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=1,tos=0/0xfc,ttl=64/0,frag=no),icmp(type=8,code=0/0)))',
  },
  {
    pass: 'rich',
    frame: 'udp6',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(label=0x12345,proto=17,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0x12345,proto=17,tclass=0x28/0,hlimit=33/0,frag=no),udp(src=6000/0,dst=6001/0)',
  },
  {
    pass: 'rich',
    frame: 'tcp6',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(proto=6,frag=no),tcp_flags(+syn-rst)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/::,dst=2001:db8::7/::,label=0/0,proto=6,tclass=0/0,hlimit=64/0,frag=no),tcp(src=443/0,dst=50000/0),tcp_flags(+syn-rst)',
  },
  {
    pass: 'rich',
    frame: 'ndSolicit',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=33:33:ff:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,label=0,proto=58,hlimit=255,frag=no),icmpv6(type=135)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=33:33:ff:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,dst=ff02::1:ff00:7/::,label=0,proto=58,tclass=0/0,hlimit=255,frag=no),icmpv6(type=135,code=0/0),nd(target=2001:db8::7/::,sll=50:54:00:00:00:05/00:00:00:00:00:00,tll=00:00:00:00:00:00/00:00:00:00:00:00)',
  },
  {
    pass: 'rich',
    frame: 'ndAdvert',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x86dd),ipv6(src=2001:db8::7/ffff:ffff:ffff:ffff::,label=0,proto=58,hlimit=255,frag=no),icmpv6(type=136)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:07,dst=50:54:00:00:00:05),eth_type(0x86dd),ipv6(src=2001:db8::7/ffff:ffff:ffff:ffff::,dst=2001:db8::5/::,label=0,proto=58,tclass=0/0,hlimit=255,frag=no),icmpv6(type=136,code=0/0),nd(target=2001:db8::7/::,sll=00:00:00:00:00:00/00:00:00:00:00:00,tll=50:54:00:00:00:07/00:00:00:00:00:00)',
  },
  {
    pass: 'rich',
    frame: 'icmp6Echo',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,label=0,proto=58,hlimit=64,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,dst=2001:db8::7/::,label=0,proto=58,tclass=0/0,hlimit=64,frag=no),icmpv6(type=128/0,code=0/0)',
  },
  {
    pass: 'rich',
    frame: 'frag4First',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,frag=first)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,ttl=64/0,frag=first),udp(src=7000/0,dst=7001/0)',
  },
  {
    pass: 'rich',
    frame: 'frag4Later',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,frag=later)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,ttl=64/0,frag=later)',
  },
  {
    pass: 'rich',
    frame: 'frag6First',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,label=0,proto=17,hlimit=64,frag=first)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,dst=2001:db8::7/::,label=0,proto=17,tclass=0/0,hlimit=64,frag=first),udp(src=7000/0,dst=7001/0)',
  },
  {
    pass: 'rich',
    frame: 'frag6Later',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,label=0,proto=44,hlimit=64,frag=later)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,dst=2001:db8::7/::,label=0,proto=44,tclass=0/0,hlimit=64,frag=later)',
  },
  {
    pass: 'rich',
    frame: 'llc',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0/0xffff)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0/0xffff)',
  },
  {
    pass: 'rich',
    frame: 'snapIpv4',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=17,tos=0/0xfc,ttl=64/0,frag=no),udp(src=8000/0,dst=8001/0)',
  },
  {
    pass: 'rich',
    frame: 'ext6Udp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,label=0,proto=17,hlimit=64,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x86dd),ipv6(src=2001:db8::5/ffff:ffff:ffff:ffff::,dst=2001:db8::7/::,label=0,proto=17,tclass=0/0,hlimit=64,frag=no),udp(src=9000/0,dst=9001/0)',
  },
  {
    pass: 'rich',
    frame: 'ipOptsTcp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=6,tos=0/0xfc,frag=no),tcp(dst=22/0xffc0)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=6,tos=0/0xfc,ttl=64/0,frag=no),tcp(src=1234/0,dst=22/0xffc0),tcp_flags(0/0)',
  },
  {
    pass: 'rich',
    frame: 'sctp',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=10.0.0.7/255.255.255.0,proto=132,tos=0/0xfc,frag=no),sctp(src=3868)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.5/0.0.0.0,dst=10.0.0.7/255.255.255.0,proto=132,tos=0/0xfc,ttl=64/0,frag=no),sctp(src=3868,dst=3868/0)',
  },
  {
    pass: 'rich',
    frame: 'ipv4TotLenLie',
    plain:
      'recirc_id(0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(dst=0.0.0.0/248.0.0.0,proto=0,frag=no)',
    verbose:
      'skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(2),packet_type(ns=0,id=0),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/248.0.0.0,proto=0,tos=0/0,ttl=0/0,frag=no)',
  },
];
