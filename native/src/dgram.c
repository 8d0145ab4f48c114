// Datagram sockets for tunnel ports (VXLAN and Geneve over UDP, GRE over a raw IPv4/IPv6 socket for
// protocol 47): the host's own IP stack is the underlay, so the kernel adds the outer IP (and UDP) header
// and we only write and read the tunnel header and the inner frame. Receiving is one recvmmsg into region
// slots, with each datagram's source address and the local address it was sent to (IP_PKTINFO /
// IPV6_PKTINFO); sending is one sendmmsg whose two iovecs per datagram (tunnel header, frame) point straight
// into regions, with the outer TOS and TTL per datagram as control messages. Readiness is pollStart(fd) and
// closing is closeFd(fd). No memory is allocated per datagram: a call handles at most DGRAM_MAX_BATCH.
//
// Addresses cross the boundary as 4 big-endian 32-bit words (an IPv4 address in word 0, the others 0), so
// 127.0.0.1 is [0x7f000001, 0, 0, 0] and ::1 is [0, 0, 0, 1].
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

// Most datagrams one dgramRecv or dgramSend handles (sizes the stack arrays).
#define DGRAM_MAX_BATCH 64
// Words per received datagram's addresses: family, source (4), destination (4).
#define ADDR_WORDS 9
// Words per send descriptor: hdrRegion, hdrOffset, hdrLength, region, offset, length, dstPort, tos, ttl,
// family.
#define DESC_WORDS 10
// A descriptor's tos or ttl that leaves the socket's default.
#define KEEP_DEFAULT 0xffff

union sockaddr_any {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
};

// Control-message room for one datagram: IP_PKTINFO or IPV6_PKTINFO on receive (with room to spare should
// the kernel add another), TOS and TTL on send.
union cmsg_room {
  char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 2 * CMSG_SPACE(sizeof(int))];
  size_t align;  // a cmsghdr's alignment (struct cmsghdr itself ends in a flexible array)
};

// A parsed local address: family and sockaddr (port filled in by the caller).
struct local_addr {
  int family;
  union sockaddr_any addr;
  socklen_t len;
  char text[INET6_ADDRSTRLEN];
};

// Parses '' (any IPv4), an IPv4 literal or an IPv6 literal ('::' = any IPv6); throws EINVAL otherwise.
static bool arg_local_addr(napi_env env, napi_value v, struct local_addr *out) {
  char text[INET6_ADDRSTRLEN];
  if (!arg_string(env, v, "localAddr", text, sizeof text)) return false;
  memset(out, 0, sizeof *out);
  if (text[0] == '\0') {
    out->family = AF_INET;
    out->addr.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    out->len = sizeof out->addr.in;
    snprintf(out->text, sizeof out->text, "0.0.0.0");
    return true;
  }
  if (inet_pton(AF_INET, text, &out->addr.in.sin_addr) == 1) {
    out->family = AF_INET;
    out->addr.in.sin_family = AF_INET;
    out->len = sizeof out->addr.in;
  } else if (inet_pton(AF_INET6, text, &out->addr.in6.sin6_addr) == 1) {
    out->family = AF_INET6;
    out->addr.in6.sin6_family = AF_INET6;
    out->len = sizeof out->addr.in6;
  } else {
    throw_invalid(env, "localAddr \"%s\" is not an IPv4 or IPv6 address", text);
    return false;
  }
  // The canonical spelling, for error messages.
  if (out->family == AF_INET)
    inet_ntop(AF_INET, &out->addr.in.sin_addr, out->text, sizeof out->text);
  else
    inet_ntop(AF_INET6, &out->addr.in6.sin6_addr, out->text, sizeof out->text);
  return true;
}

static int set_int_opt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

// Closes a half-opened socket, keeping errno, and throws about `call`.
static napi_value open_failed(napi_env env, int fd, const char *call, const char *subject) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, call, subject);
}

// The options udpOpen and rawOpen share: packet info on receive, buffer sizes, path-MTU discovery.
// Returns NULL on success, else the name of the setsockopt that failed (errno set).
static const char *common_opts(int fd, int family, uint32_t buf_bytes, bool df) {
  bool v4 = family == AF_INET;
  if (v4 ? set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0 : set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0)
    return v4 ? "setsockopt(IP_PKTINFO)" : "setsockopt(IPV6_RECVPKTINFO)";
  // The FORCE variants pass net.core.{r,w}mem_max but need CAP_NET_ADMIN; the plain ones are capped by it.
  int size = (int)buf_bytes;
  if (size > 0 && set_int_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size) < 0 &&
      set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, size) < 0)
    return "setsockopt(SO_RCVBUF)";
  if (size > 0 && set_int_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, size) < 0 &&
      set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, size) < 0)
    return "setsockopt(SO_SNDBUF)";
  if (v4 ? set_int_opt(fd, IPPROTO_IP, IP_MTU_DISCOVER, df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT) < 0
         : set_int_opt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT) < 0)
    return v4 ? "setsockopt(IP_MTU_DISCOVER)" : "setsockopt(IPV6_MTU_DISCOVER)";
  return NULL;
}

// {fd, family, port} for a socket just opened; closes it when the object cannot be made.
static napi_value socket_result(napi_env env, int fd, int family, unsigned port) {
  napi_value result;
  if (napi_failed(env, napi_create_object(env, &result)) || !set_number(env, result, "fd", fd) ||
      !set_number(env, result, "family", family == AF_INET ? 4 : 6) || !set_number(env, result, "port", port)) {
    close(fd);
    return NULL;
  }
  return result;
}

// udpOpen(localAddr, port, bufBytes, df) → {fd, family, port}: a non-blocking UDP socket bound to
// localAddr:port (port 0: the kernel picks one, reported in `port`).
napi_value js_udp_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  struct local_addr local;
  uint32_t port, buf_bytes;
  bool df;
  if (!get_args(env, info, 4, argv) || !arg_local_addr(env, argv[0], &local) ||
      !arg_u32(env, argv[1], "port", 65535, &port) || !arg_u32(env, argv[2], "bufBytes", INT32_MAX, &buf_bytes) ||
      !arg_bool(env, argv[3], "df", &df))
    return NULL;
  char subject[INET6_ADDRSTRLEN + 16];
  snprintf(subject, sizeof subject, local.family == AF_INET ? "udp %s:%u" : "udp [%s]:%u", local.text, port);
  int fd = socket(local.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return throw_errno(env, errno, "socket", subject);
  if (local.family == AF_INET6 && set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
    return open_failed(env, fd, "setsockopt(IPV6_V6ONLY)", subject);
  const char *failed = common_opts(fd, local.family, buf_bytes, df);
  if (failed != NULL) return open_failed(env, fd, failed, subject);
  if (local.family == AF_INET)
    local.addr.in.sin_port = htons((uint16_t)port);
  else
    local.addr.in6.sin6_port = htons((uint16_t)port);
  if (bind(fd, &local.addr.sa, local.len) < 0) return open_failed(env, fd, "bind", subject);
  union sockaddr_any bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, &bound.sa, &bound_len) < 0) return open_failed(env, fd, "getsockname", subject);
  uint16_t bound_port = local.family == AF_INET ? bound.in.sin_port : bound.in6.sin6_port;
  return socket_result(env, fd, local.family, ntohs(bound_port));
}

// rawOpen(proto, localAddr, bufBytes, df) → {fd, family, port: 0}: a non-blocking raw IP socket for
// protocol `proto`, bound to localAddr. An IPv4 one receives each datagram with its IP header in front;
// an IPv6 one without. Sending never includes the IP header (no IP_HDRINCL).
napi_value js_raw_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  struct local_addr local;
  uint32_t proto, buf_bytes;
  bool df;
  if (!get_args(env, info, 4, argv) || !arg_u32(env, argv[0], "proto", 255, &proto) ||
      !arg_local_addr(env, argv[1], &local) || !arg_u32(env, argv[2], "bufBytes", INT32_MAX, &buf_bytes) ||
      !arg_bool(env, argv[3], "df", &df))
    return NULL;
  // 0 is no protocol, and IPPROTO_RAW (255) implies IP_HDRINCL: neither fits a tunnel socket.
  if (proto == 0 || proto == IPPROTO_RAW) return throw_invalid(env, "proto must be in [1, 254], not %u", proto);
  char subject[INET6_ADDRSTRLEN + 24];
  snprintf(subject, sizeof subject, "raw %s proto %u", local.text, proto);
  int fd = socket(local.family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)proto);
  if (fd < 0) return throw_errno(env, errno, "socket", subject);
  const char *failed = common_opts(fd, local.family, buf_bytes, df);
  if (failed != NULL) return open_failed(env, fd, failed, subject);
  if (bind(fd, &local.addr.sa, local.len) < 0) return open_failed(env, fd, "bind", subject);
  return socket_result(env, fd, local.family, 0);
}

// Writes an address as 4 big-endian words.
static void put_addr(uint32_t *w, int family, const void *addr) {
  const uint8_t *b = addr;
  w[0] = w[1] = w[2] = w[3] = 0;
  int words = family == AF_INET ? 1 : family == AF_INET6 ? 4 : 0;
  for (int i = 0; i < words; i++)
    w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
}

// Reads 4 big-endian words into an address of `family`.
static void get_addr(void *addr, int family, const uint32_t *w) {
  uint8_t *b = addr;
  int words = family == AF_INET ? 1 : 4;
  for (int i = 0; i < words; i++) {
    b[4 * i] = (uint8_t)(w[i] >> 24);
    b[4 * i + 1] = (uint8_t)(w[i] >> 16);
    b[4 * i + 2] = (uint8_t)(w[i] >> 8);
    b[4 * i + 3] = (uint8_t)w[i];
  }
}

// dgramRecv(fd, region, offsets, lengths, addrs, max, slotLen) → count: one recvmmsg of up to `max`
// datagrams; datagram i lands at offsets[i] in `region` (at most slotLen bytes), its real length goes to
// lengths[i] (more than slotLen: it was truncated) and its addresses to addrs[9i .. 9i+8].
napi_value js_dgram_recv(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t fd, region;
  uint32_t *offsets, *lengths, *addrs, max, slot_len;
  size_t n_off, n_len, n_addrs;
  if (!get_args(env, info, 7, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_i32(env, argv[1], "region", 0, INT32_MAX, &region) ||
      !arg_u32_array(env, argv[2], "offsets", &offsets, &n_off) ||
      !arg_u32_array(env, argv[3], "lengths", &lengths, &n_len) ||
      !arg_u32_array(env, argv[4], "addrs", &addrs, &n_addrs) ||
      !arg_u32(env, argv[5], "max", DGRAM_MAX_BATCH, &max) ||
      !arg_u32(env, argv[6], "slotLen", UINT32_MAX, &slot_len))
    return NULL;
  if (max > n_off || max > n_len || (size_t)max * ADDR_WORDS > n_addrs)
    return throw_invalid(env, "max %u exceeds offsets (%zu), lengths (%zu) or addrs (%zu words, %d a datagram)",
                         max, n_off, n_len, n_addrs, ADDR_WORDS);
  if (slot_len == 0) return throw_invalid(env, "slotLen must be positive");
  struct mmsghdr msgs[DGRAM_MAX_BATCH];
  struct iovec iovs[DGRAM_MAX_BATCH];
  union sockaddr_any names[DGRAM_MAX_BATCH];
  union cmsg_room ctrl[DGRAM_MAX_BATCH];
  struct region *r;
  for (uint32_t i = 0; i < max; i++) {
    if (!region_check(env, region, offsets[i], slot_len, &r)) return NULL;
    iovs[i] = (struct iovec){r->base + offsets[i], slot_len};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &names[i],
                                           .msg_namelen = sizeof names[i],
                                           .msg_iov = &iovs[i],
                                           .msg_iovlen = 1,
                                           .msg_control = ctrl[i].buf,
                                           .msg_controllen = sizeof ctrl[i].buf}};
  }
  if (max == 0) return make_number(env, 0);
  int n;
  // MSG_TRUNC makes msg_len the datagram's real length even when it did not fit its slot.
  do n = recvmmsg(fd, msgs, max, MSG_DONTWAIT | MSG_TRUNC, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return make_number(env, 0);
  if (n < 0) {
    char subject[32];
    return throw_errno(env, errno, "recvmmsg", fd_subject(subject, sizeof subject, fd));
  }
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &msgs[i].msg_hdr;
    uint32_t *a = addrs + (size_t)i * ADDR_WORDS;
    lengths[i] = msgs[i].msg_len;
    int family = h->msg_namelen > 0 ? names[i].sa.sa_family : AF_UNSPEC;
    a[0] = family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
    if (family == AF_INET)
      put_addr(a + 1, AF_INET, &names[i].in.sin_addr);
    else
      put_addr(a + 1, family, &names[i].in6.sin6_addr);  // zeros unless AF_INET6
    put_addr(a + 5, AF_UNSPEC, NULL);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        put_addr(a + 5, AF_INET, &pi.ipi_addr);  // the destination in the IP header
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        put_addr(a + 5, AF_INET6, &pi.ipi6_addr);
      }
    }
  }
  return make_number(env, n);
}

// Appends an int control message to `h` (whose control buffer has room for it).
static void add_cmsg(struct msghdr *h, int level, int type, int value) {
  struct cmsghdr *c = (struct cmsghdr *)((char *)h->msg_control + h->msg_controllen);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof value);
  memcpy(CMSG_DATA(c), &value, sizeof value);
  h->msg_controllen += CMSG_SPACE(sizeof value);
}

// Whether a send error means "nothing more can go now" rather than "this datagram is refused".
static bool send_would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

// dgramSend(fd, descs, addrs, count) → sent: one sendmmsg of `count` datagrams, each the tunnel header
// (hdrLength 0: none) then the frame, to addrs[4i .. 4i+3]:dstPort, with IP_TOS/IP_TTL (IPV6_TCLASS/
// IPV6_HOPLIMIT) control messages unless tos/ttl is 0xffff.
napi_value js_dgram_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  uint32_t *descs, *addrs, count;
  size_t n_descs, n_addrs;
  if (!get_args(env, info, 4, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_u32_array(env, argv[1], "descs", &descs, &n_descs) ||
      !arg_u32_array(env, argv[2], "addrs", &addrs, &n_addrs) ||
      !arg_u32(env, argv[3], "count", DGRAM_MAX_BATCH, &count))
    return NULL;
  if ((size_t)count * DESC_WORDS > n_descs || (size_t)count * 4 > n_addrs)
    return throw_invalid(env, "count %u needs %u descs words (it has %zu) and %u addrs words (it has %zu)", count,
                         count * DESC_WORDS, n_descs, count * 4, n_addrs);
  struct mmsghdr msgs[DGRAM_MAX_BATCH];
  struct iovec iovs[2 * DGRAM_MAX_BATCH];
  union sockaddr_any names[DGRAM_MAX_BATCH];
  union cmsg_room ctrl[DGRAM_MAX_BATCH];
  struct region *hr = NULL, *fr;
  // IPv6 raw sockets take a non-zero sin6_port as the protocol (EINVAL if it differs): learnt only if needed.
  int sock_type = -1;
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *d = descs + (size_t)i * DESC_WORDS;
    uint32_t hdr_len = d[2], port = d[6], tos = d[7], ttl = d[8], family = d[9];
    if (hdr_len > 0 && !region_check(env, d[0], d[1], hdr_len, &hr)) return NULL;
    if (!region_check(env, d[3], d[4], d[5], &fr)) return NULL;
    if (hdr_len == 0 && d[5] == 0) return throw_invalid(env, "descriptor %u is empty (no header, no frame)", i);
    if (family != 4 && family != 6)
      return throw_invalid(env, "descriptor %u: family %u is neither 4 nor 6", i, family);
    if (port > 65535) return throw_invalid(env, "descriptor %u: dstPort %u exceeds 65535", i, port);
    if (tos > 255 && tos != KEEP_DEFAULT)
      return throw_invalid(env, "descriptor %u: tos %u must be in [0, 255] or 0xffff", i, tos);
    if ((ttl == 0 || ttl > 255) && ttl != KEEP_DEFAULT)
      return throw_invalid(env, "descriptor %u: ttl %u must be in [1, 255] or 0xffff", i, ttl);
    if (family == 6 && port != 0 && sock_type < 0) {
      socklen_t len = sizeof sock_type;
      if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &sock_type, &len) < 0) {
        char subject[32];
        return throw_errno(env, errno, "getsockopt(SO_TYPE)", fd_subject(subject, sizeof subject, fd));
      }
    }
    struct iovec *iov = &iovs[2 * i];
    size_t n_iov = 0;
    if (hdr_len > 0) iov[n_iov++] = (struct iovec){hr->base + d[1], hdr_len};
    iov[n_iov++] = (struct iovec){fr->base + d[4], d[5]};
    socklen_t name_len;
    memset(&names[i], 0, sizeof names[i]);
    if (family == 4) {
      names[i].in.sin_family = AF_INET;
      names[i].in.sin_port = htons((uint16_t)port);
      get_addr(&names[i].in.sin_addr, AF_INET, addrs + (size_t)i * 4);
      name_len = sizeof names[i].in;
    } else {
      names[i].in6.sin6_family = AF_INET6;
      names[i].in6.sin6_port = sock_type == SOCK_RAW ? 0 : htons((uint16_t)port);
      get_addr(&names[i].in6.sin6_addr, AF_INET6, addrs + (size_t)i * 4);
      name_len = sizeof names[i].in6;
    }
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &names[i],
                                           .msg_namelen = name_len,
                                           .msg_iov = iov,
                                           .msg_iovlen = n_iov,
                                           .msg_control = ctrl[i].buf,
                                           .msg_controllen = 0}};
    struct msghdr *h = &msgs[i].msg_hdr;
    memset(ctrl[i].buf, 0, sizeof ctrl[i].buf);
    if (tos != KEEP_DEFAULT)
      add_cmsg(h, family == 4 ? IPPROTO_IP : IPPROTO_IPV6, family == 4 ? IP_TOS : IPV6_TCLASS, (int)tos);
    if (ttl != KEEP_DEFAULT)
      add_cmsg(h, family == 4 ? IPPROTO_IP : IPPROTO_IPV6, family == 4 ? IP_TTL : IPV6_HOPLIMIT, (int)ttl);
    if (h->msg_controllen == 0) h->msg_control = NULL;
  }
  if (count == 0) return make_number(env, 0);
  int n;
  do n = sendmmsg(fd, msgs, count, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n >= 0) return make_number(env, n);
  if (send_would_block(errno)) return make_number(env, 0);
  // The first datagram was refused (sendmmsg reports an error only when none went): say which.
  int err = errno;
  char where[INET6_ADDRSTRLEN], subject[INET6_ADDRSTRLEN + 48];
  const uint32_t *d = descs;
  const void *dst = d[9] == 4 ? (const void *)&names[0].in.sin_addr : (const void *)&names[0].in6.sin6_addr;
  inet_ntop(d[9] == 4 ? AF_INET : AF_INET6, dst, where, sizeof where);
  snprintf(subject, sizeof subject, d[9] == 4 ? "fd %d to %s:%u" : "fd %d to [%s]:%u", fd, where, d[6]);
  return throw_errno(env, err, "sendmmsg", subject);
}
